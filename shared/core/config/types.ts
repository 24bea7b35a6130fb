/**
 * The config types the engine uses. Everything comes from the joi schema through
 * `types.generated.ts`; joi-to-typescript cannot follow `alternatives.conditional`,
 * so the pagination union is assembled here from generated parts, and the compiler
 * checks it covers exactly `PAGINATION_TYPES`.
 */
import type { PAGINATION_TYPES } from './schema';
import type * as Generated from './types.generated';

export type {
  Auth,
  CarolAuth,
  CarolDestiny,
  CursorParameters,
  Endpoint,
  HeaderLinkParameters,
  HttpOptions,
  LinkParameters,
  MappingFetch,
  OffsetParameters,
  OutputParams,
  RefreshToken,
  S3Destiny,
  SequentialParameters,
  Transformation,
} from './types.generated';

export type Pagination =
  | { type: 'none'; parameters?: Record<string, never> }
  | { type: 'sequential'; parameters: Generated.SequentialParameters }
  | { type: 'link'; parameters: Generated.LinkParameters }
  | { type: 'header_link'; parameters: Generated.HeaderLinkParameters }
  | { type: 'cursor'; parameters: Generated.CursorParameters }
  | { type: 'offset'; parameters: Generated.OffsetParameters };

export type PaginationType = Pagination['type'];

// Compile-time proof that the union and the schema's list of types agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const paginationTypesAgree: Same<PaginationType, (typeof PAGINATION_TYPES)[number]> = true;

export type Extraction = Omit<Generated.Extraction, 'pagination' | 'http'> & {
  pagination: Pagination;
  http: Generated.HttpOptions;
};

export type ApiConfig = Omit<Generated.ApiConfig, 'extractions'> & { extractions: Extraction[] };
