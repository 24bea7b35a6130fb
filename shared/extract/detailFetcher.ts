/**
 * `mapping_fetch`: one detail request per row, its JSON passed through the detail
 * `data_schema` and added to the row with the prefix. An empty body or a 404 keeps
 * the row without details (a warning); any other failure fails the run.
 */
import type { MappingFetch } from '../core/config/types';
import { compileDataSchema, type DataSchema, flattenRecord } from '../core/dataSchema';
import { readJsonField } from '../core/jsonField';
import type { ReferenceLookup } from '../core/references';
import type { SecretScope } from '../core/secretOrigins';
import type { AuthenticatedClient } from './auth';
import { excerpt, HttpRequestError, type HttpResponse } from './http';
import { parseJsonBody } from './pageFetcher';
import { renderEndpoint } from './render';

export type DetailOutcome =
  { found: true; columns: Record<string, unknown> } | { found: false; reason: string };

export class DetailFetcher {
  private readonly shape: (body: unknown) => Record<string, unknown>;

  constructor(
    private readonly mapping: MappingFetch,
    private readonly client: AuthenticatedClient,
    private readonly lookup: ReferenceLookup,
    private readonly scope: SecretScope,
    flatten: boolean,
    /** Where the mapping_fetch is in the config (`extractions[0].mapping_fetch`), for errors. */
    private readonly at: string,
  ) {
    if (mapping.data_schema) {
      const mapper = compileDataSchema(mapping.data_schema as DataSchema);
      this.shape = (body) => mapper.map(body);
    } else if (flatten) {
      this.shape = (body) => flattenRecord(body);
    } else {
      this.shape = (body) =>
        body && typeof body === 'object' && !Array.isArray(body) ? { ...body } : { value: body };
    }
  }

  /** `row` is the mapped row, `raw` the record it came from (`${extracted_item::…}` reads both). */
  async fetch(row: Record<string, unknown>, raw: unknown, signal?: AbortSignal): Promise<DetailOutcome> {
    const itemLookup: ReferenceLookup = (type, path) => {
      if (type !== 'extracted_item') return this.lookup(type, path);
      return Object.prototype.hasOwnProperty.call(row, path) ? row[path] : readJsonField(raw, path);
    };
    const build = () =>
      renderEndpoint(this.mapping.endpoint, itemLookup, {
        defaultMethod: 'GET',
        defaultBodyEncoding: 'json',
        scope: this.scope,
        at: `${this.at}.endpoint`,
      });
    const res = await this.client.send(build, signal);
    try {
      return this.outcome(res);
    } finally {
      res.release();
    }
  }

  private outcome(res: HttpResponse): DetailOutcome {
    if (res.status === 404) return { found: false, reason: `HTTP 404 from ${res.url}` };
    if (res.status < 200 || res.status >= 300) {
      throw new HttpRequestError(
        `detail request: HTTP ${res.status} from ${res.url}: ${excerpt(res.body)}`,
        res.url,
        res.status,
      );
    }
    const body = parseJsonBody(res.body, res.url, res.status, !this.mapping.data_schema);
    if (body === undefined) return { found: false, reason: `empty body from ${res.url}` };
    const columns: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.shape(body))) columns[this.mapping.prefix + name] = value;
    return { found: true, columns };
  }
}
