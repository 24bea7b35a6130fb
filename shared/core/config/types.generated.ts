/* eslint-disable */
// Generated from shared/core/config/schema.ts by `npm run gen:types`. Do not edit.

export interface ApiConfig {
  id?: string;
  name: string;
  /**
   * Cron (AWS 6-field or 5-field, UTC, optionally wrapped as `cron(…)`); absent = global default. The pattern is the shape; the fields are checked when the config is saved.
   */
  schedule?: string;
  enabled: boolean;
  auth: Auth;
  extractions: Extraction[];
}

export interface Auth {
  access_token: string;
  refresh_token?: RefreshToken;
}

export interface CarolAuth {
  type: 'connector_token' | 'oauth';
  /**
   * connector_token: the connector token (`X-Auth-Key`); a `${secret::…}` reference.
   */
  api_key?: string;
  /**
   * oauth: the user; a `${secret::…}` reference or literal.
   */
  username?: string;
  /**
   * oauth: the password; a `${secret::…}` reference.
   */
  password?: string;
  /**
   * oauth: the environment (tenant subdomain).
   */
  environment?: string;
  /**
   * oauth: the organization (org subdomain).
   */
  organization?: string;
}

export interface CarolDestiny {
  /**
   * Carol's base URL (e.g. `https://myorg.carol.ai`), written literally; may carry a path prefix.
   */
  url: string;
  /**
   * Literal or a `${secret::…}` reference.
   */
  connector_id: string;
  /**
   * The staging table.
   */
  table: string;
  auth: CarolAuth;
  /**
   * The table's key fields: output columns every row carries.
   */
  crosswalk: string[];
  records_per_request: number;
  /**
   * Uncompressed JSON bytes per intake request at most.
   */
  max_request_bytes: number;
  /**
   * keep: leave the staging schema alone; create: create it when absent; update: create or replace it.
   */
  schema: 'keep' | 'create' | 'update';
  /**
   * Column type overrides for create/update; other columns are typed from the data.
   */
  schema_types?: {
    [pattern: string]: 'string' | 'long' | 'double' | 'boolean' | 'date' | 'object' | 'nested';
  };
  intake: 'v3' | 'v2';
  /**
   * Also write the file of s3_destiny; false = Carol only.
   */
  write_file: boolean;
}

export interface CursorParameters {
  /**
   * Where the next cursor is in the body.
   */
  cursor_key: string;
  /**
   * Query parameter that sends the cursor back.
   */
  param_name: string;
  /**
   * Safety cap: more pages than this fails the run.
   */
  max_pages: number;
}

export interface DataSchemaDoc {
  [pattern: string]: string | unknown;
}

export interface Endpoint {
  /**
   * Any non-empty string when saved (references, placeholders); a run fails the extraction when it is not an absolute http(s) URL once references are resolved.
   */
  url: string;
  /**
   * GET for data endpoints and POST for the token endpoint when absent.
   */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Added to the URL query string.
   */
  query_params?: {
    /**
     * Unknown Property
     */
    [x: string]: unknown;
  };
  /**
   * Request headers.
   */
  headers?: {
    [pattern: string]: string | number | boolean;
  };
  /**
   * JSON-encoded unless Content-Type says application/x-www-form-urlencoded.
   */
  body?: {
    /**
     * Unknown Property
     */
    [x: string]: unknown;
  } | any[] | string;
}

export interface Extraction {
  id?: string;
  name: string;
  endpoint: Endpoint;
  /**
   * A dot path into JSON: `user.account.number`.
   */
  data_key?: string;
  pagination: Pagination;
  data_schema?: DataSchemaDoc;
  mapping_fetch?: MappingFetch;
  transformations: Transformation[];
  format: 'csv' | 'json' | 'jsonl';
  output_params: OutputParams;
  s3_destiny: S3Destiny;
  /**
   * Also (or only) load the rows into a Carol staging table.
   */
  carol_destiny?: CarolDestiny;
  http?: HttpOptions;
}

export interface HeaderLinkParameters {
  /**
   * Safety cap: more pages than this fails the run.
   */
  max_pages: number;
}

export interface HttpOptions {
  /**
   * Headers and body idle timeout.
   */
  timeout_ms: number;
  connect_timeout_ms: number;
  /**
   * Deadline for one request, headers and whole body, per attempt.
   */
  request_timeout_ms: number;
  /**
   * Slowest accepted body, judged over each timeout_ms window; 0 = off.
   */
  min_bytes_per_second: number;
  /**
   * Tries per request, first included.
   */
  max_attempts: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  /**
   * Rate limit for this extraction (0.01 = one request per 100 s); absent = none.
   */
  requests_per_second?: number;
}

export interface LinkParameters {
  /**
   * A dot path into JSON: `user.account.number`.
   */
  next_link: string;
  /**
   * Safety cap: more pages than this fails the run.
   */
  max_pages: number;
}

export interface MappingFetch {
  endpoint: Endpoint;
  prefix: string;
  data_schema?: DataSchemaDoc;
  /**
   * Detail requests in flight at once.
   */
  concurrency: number;
}

export interface OffsetParameters {
  /**
   * Query parameter carrying the offset of a page's first record.
   */
  offset_param: string;
  /**
   * Query parameter carrying `page_size`.
   */
  limit_param: string;
  /**
   * Records asked for per page; the offset grows by this much from page to page.
   */
  page_size: number;
  /**
   * Offset of the first page.
   */
  start_from: number;
  /**
   * JsonField of the total number of records (`totalHits`): the page that reaches it is the last. Absent: a page with fewer than `page_size` records is the last.
   */
  total_key?: string;
  /**
   * Pages requested before earlier ones answer; 1 = strictly sequential.
   */
  pages_in_flight: number;
  /**
   * Safety cap: more pages than this fails the run.
   */
  max_pages: number;
}

export interface OutputParams {
  csv_separator: string;
}

export type Pagination = any;

export interface RefreshToken {
  endpoint: Endpoint;
  /**
   * Where the new token is in the response.
   */
  response_token_key: string;
  /**
   * Where the token lifetime (seconds) is; absent in the response = no proactive refresh.
   */
  expires_in_key: string;
  /**
   * Absent = false. Refresh with `grant_type=refresh_token` (the refresh token of the last token response, sent to the same endpoint with its headers, form-encoded, keeping `client_id`/`client_secret` of its body) instead of repeating the endpoint; falls back to the endpoint once when refused.
   */
  refresh_grant?: boolean;
  /**
   * Where the refresh token is in the token response (with `refresh_grant`); absent = `refresh_token`.
   */
  refresh_token_key?: string;
}

export interface S3Destiny {
  /**
   * Absent = the deployment's output bucket. S3's bucket naming rules: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit, no `..`, not an IP address, no reserved prefix (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffix (`-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).
   */
  bucket?: string;
  folder: string;
  filename: string;
}

export interface SequentialParameters {
  param_name: string;
  start_from: number;
  step: number;
  /**
   * ConditionExpression or JsonField on the body: continue while true.
   */
  there_are_more_pages?: string;
  continue_while_status_code_is?: number;
  /**
   * Stop on an empty body, whatever else is set.
   */
  stop_when_response_body_is_empty?: boolean;
  /**
   * Pages requested before earlier ones answer; 1 = strictly sequential.
   */
  pages_in_flight: number;
  /**
   * Safety cap: more pages than this fails the run.
   */
  max_pages: number;
}

export interface Transformation {
  action: string;
  priority: number;
  on?: string[];
  new_column_prefix?: string;
  params: {
    /**
     * Unknown Property
     */
    [x: string]: unknown;
  };
}
