import { readJsonField } from '../core/jsonField';
import type { ReferenceLookup } from '../core/references';

export interface LookupSources {
  config: unknown;
  secrets: Record<string, unknown>;
  previousLast: unknown;
  /** The current access token (`self::auth.access_token`). */
  token(): string;
}

/** Resolves `self`, `secret` and `last` references; `extracted_item` is added by the detail fetcher. */
export function referenceLookup(sources: LookupSources): ReferenceLookup {
  return (type, path) => {
    switch (type) {
      case 'self':
        return path === 'auth.access_token' ? sources.token() : readJsonField(sources.config, path);
      case 'secret':
        return readJsonField(sources.secrets, path);
      case 'last':
        return readJsonField(sources.previousLast, path);
      default:
        return undefined;
    }
  };
}
