/**
 * The config document's joi schema: the single source of truth for validation,
 * defaults and (through `npm run gen:types`) the TypeScript types in `types.generated.ts`.
 *
 * Each object carries `.meta({ className })` so joi-to-typescript names the generated
 * interface; keep the class names stable, the engine imports them.
 */
import Joi from 'joi';
import { BUCKET_NAME_PATTERN, BUCKET_NAME_RULE, bucketNameProblem } from '../bucketName';
import { MAX_SCHEDULE_LENGTH } from '../schedule';

/** Hard ceiling for `max_pages`, so a typo cannot ask for an endless loop. */
export const MAX_PAGES_LIMIT = 1_000_000;
export const DEFAULT_MAX_PAGES = 10_000;
/** `http.request_timeout_ms` and `http.min_bytes_per_second` when absent (also the token client's). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_MIN_BYTES_PER_SECOND = 100;

/**
 * The shape of a schedule, for the OpenAPI document: 5 or 6 fields, optionally in
 * `cron(…)`. Validation parses the expression itself (`parseSchedule`).
 */
export const SCHEDULE_SHAPE = String.raw`^\s*(?:[cC][rR][oO][nN]\(\s*)?[^\s()]+(?:\s+[^\s()]+){4,5}\s*\)?\s*$`;

/**
 * Length caps on the text the parsers read, far above what a real config needs, so
 * no field can make validation or a run scan megabytes (every scan is linear anyway).
 */
export const MAX_URL_LENGTH = 8192;
export const MAX_HEADER_VALUE_LENGTH = 8192;
export const MAX_JSON_FIELD_LENGTH = 1024;
export const MAX_CONDITION_LENGTH = 1024;
/** For the string parameters of transformations (`to_replace`, `value`, `char`, `sep`). */
export const MAX_TRANSFORMATION_PARAM_LENGTH = 1024;

/**
 * The keys of an object schema, where `null` for an optional key means absent: the
 * original tool's GET and history answers spell every empty optional field as an
 * explicit `null`, and a config exported from it must load unchanged. Required keys
 * are left alone, so `"name": null` still says what a name must be.
 */
export function keysOf<K extends Record<string, Joi.Schema>>(keys: K): K {
  const out: Record<string, Joi.Schema> = {};
  for (const [name, schema] of Object.entries(keys)) {
    out[name] = schema.$_getFlag('presence') === 'required' ? schema : schema.empty(null);
  }
  return out as K;
}

const jsonField = Joi.string()
  .min(1)
  .max(MAX_JSON_FIELD_LENGTH)
  .description('A dot path into JSON: `user.account.number`.');

const scalar = Joi.alternatives()
  .try(Joi.string().allow('').max(MAX_HEADER_VALUE_LENGTH), Joi.number(), Joi.boolean())
  .messages({ 'alternatives.types': 'must be a string, a number or a boolean' });

/** An integer in `[min, max]`; every way of missing the range says what the range is. */
const integerBetween = (min: number, max: number, what = 'an integer'): Joi.NumberSchema => {
  const message = `must be ${what} between ${min} and ${max}`;
  return Joi.number()
    .integer()
    .min(min)
    .max(max)
    .messages({ 'number.integer': message, 'number.min': message, 'number.max': message });
};

/** A number (fractions allowed) in `[min, max]`, with the same kind of message. */
const numberBetween = (min: number, max: number): Joi.NumberSchema => {
  const message = `must be a number between ${min} and ${max}`;
  return Joi.number().min(min).max(max).messages({ 'number.min': message, 'number.max': message });
};

/**
 * Parameters of one pagination type; a parameter that belongs to another type (or a
 * typo) names the type and lists the parameters it does take.
 */
const parametersOf = (type: string, keys: Record<string, Joi.Schema>): Joi.ObjectSchema => {
  const names = Object.keys(keys);
  const message =
    names.length === 0
      ? `is not allowed: pagination type "${type}" takes no parameters`
      : `is not a parameter of pagination type "${type}" (valid: ${names.join(', ')})`;
  return Joi.object(keysOf(keys)).messages({ 'object.unknown': message });
};

export const endpointSchema = Joi.object(
  keysOf({
    url: Joi.string()
      .min(1)
      .max(MAX_URL_LENGTH)
      .required()
      .description(
        'Any non-empty string when saved (references, placeholders); a run fails the extraction when it is not an absolute http(s) URL once references are resolved.',
      ),
    method: Joi.string()
      .uppercase()
      .valid('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
      .description('GET for data endpoints and POST for the token endpoint when absent.'),
    query_params: Joi.object().unknown(true).description('Added to the URL query string.'),
    headers: Joi.object().pattern(Joi.string(), scalar).description('Request headers.'),
    body: Joi.alternatives()
      .try(Joi.object().unknown(true), Joi.array(), Joi.string().allow(''))
      .messages({ 'alternatives.types': 'must be an object, an array or a string' })
      .description('JSON-encoded unless Content-Type says application/x-www-form-urlencoded.'),
  }),
).meta({ className: 'Endpoint' });

export const refreshTokenSchema = Joi.object(
  keysOf({
    endpoint: endpointSchema.required(),
    response_token_key: jsonField
      .default('access_token')
      .description('Where the new token is in the response.'),
    expires_in_key: jsonField
      .default('expires_in')
      .description('Where the token lifetime (seconds) is; absent in the response = no proactive refresh.'),
    // --- Refresh grant (RFC 6749 section 6; Carol's OAuth) ---
    refresh_grant: Joi.boolean().description(
      'Absent = false. Refresh with `grant_type=refresh_token` (the refresh token of the last token response, sent to the same endpoint with its headers, form-encoded, keeping `client_id`/`client_secret` of its body) instead of repeating the endpoint; falls back to the endpoint once when refused.',
    ),
    refresh_token_key: jsonField.description(
      'Where the refresh token is in the token response (with `refresh_grant`); absent = `refresh_token`.',
    ),
  }),
).meta({ className: 'RefreshToken' });

export const authSchema = Joi.object(
  keysOf({
    access_token: Joi.string().allow('').max(MAX_HEADER_VALUE_LENGTH).default(''),
    refresh_token: refreshTokenSchema,
  }),
).meta({ className: 'Auth' });

const pageBudget = {
  max_pages: integerBetween(1, MAX_PAGES_LIMIT)
    .default(DEFAULT_MAX_PAGES)
    .description('Safety cap: more pages than this fails the run.'),
};

export const sequentialParametersSchema = parametersOf('sequential', {
  param_name: Joi.string().min(1).required(),
  start_from: integerBetween(0, 1_000_000_000).default(1),
  step: integerBetween(-1_000_000, 1_000_000).invalid(0).default(1),
  there_are_more_pages: Joi.string()
    .min(1)
    .max(MAX_CONDITION_LENGTH)
    .description('ConditionExpression or JsonField on the body: continue while true.'),
  continue_while_status_code_is: integerBetween(100, 599, 'an HTTP status code'),
  stop_when_response_body_is_empty: Joi.boolean().description('Stop on an empty body, whatever else is set.'),
  pages_in_flight: integerBetween(1, 64)
    .default(1)
    .description('Pages requested before earlier ones answer; 1 = strictly sequential.'),
  ...pageBudget,
})
  // Two rules, not one with two peers: joi reports only the first peer of a rule.
  .without('continue_while_status_code_is', 'there_are_more_pages')
  .without('continue_while_status_code_is', 'stop_when_response_body_is_empty')
  .meta({ className: 'SequentialParameters' });

export const linkParametersSchema = parametersOf('link', {
  next_link: jsonField.required(),
  ...pageBudget,
}).meta({ className: 'LinkParameters' });

export const headerLinkParametersSchema = parametersOf('header_link', { ...pageBudget }).meta({
  className: 'HeaderLinkParameters',
});

export const cursorParametersSchema = parametersOf('cursor', {
  cursor_key: jsonField.required().description('Where the next cursor is in the body.'),
  param_name: Joi.string().min(1).required().description('Query parameter that sends the cursor back.'),
  ...pageBudget,
}).meta({ className: 'CursorParameters' });

// --- Offset pagination (Carol's query route and any offset/limit API) ---
export const offsetParametersSchema = parametersOf('offset', {
  offset_param: Joi.string()
    .min(1)
    .default('offset')
    .description("Query parameter carrying the offset of a page's first record."),
  limit_param: Joi.string().min(1).default('limit').description('Query parameter carrying `page_size`.'),
  page_size: integerBetween(1, 1_000_000)
    .required()
    .description('Records asked for per page; the offset grows by this much from page to page.'),
  start_from: integerBetween(0, 1_000_000_000).default(0).description('Offset of the first page.'),
  total_key: jsonField.description(
    'JsonField of the total number of records (`totalHits`): the page that reaches it is the last. Absent: a page with fewer than `page_size` records is the last.',
  ),
  pages_in_flight: integerBetween(1, 64)
    .default(1)
    .description('Pages requested before earlier ones answer; 1 = strictly sequential.'),
  ...pageBudget,
}).meta({ className: 'OffsetParameters' });
// --- end of offset pagination ---

export const PAGINATION_TYPES = ['none', 'sequential', 'link', 'header_link', 'cursor', 'offset'] as const;

const paginationOf = (type: string, className: string, parameters: Joi.ObjectSchema): Joi.ObjectSchema =>
  Joi.object(keysOf({ type: Joi.string().valid(type).required(), parameters })).meta({ className });

/** Discriminated on `type`; an unknown type lists the valid ones. */
export const paginationSchema = Joi.alternatives()
  .conditional('.type', {
    switch: [
      { is: 'none', then: paginationOf('none', 'NoPagination', parametersOf('none', {}).default({})) },
      {
        is: 'sequential',
        then: paginationOf('sequential', 'SequentialPagination', sequentialParametersSchema.required()),
      },
      { is: 'link', then: paginationOf('link', 'LinkPagination', linkParametersSchema.required()) },
      {
        is: 'header_link',
        then: paginationOf('header_link', 'HeaderLinkPagination', headerLinkParametersSchema.default({})),
      },
      { is: 'cursor', then: paginationOf('cursor', 'CursorPagination', cursorParametersSchema.required()) },
      { is: 'offset', then: paginationOf('offset', 'OffsetPagination', offsetParametersSchema.required()) },
    ],
    otherwise: Joi.object(
      keysOf({
        type: Joi.string()
          .valid(...PAGINATION_TYPES)
          .required()
          .messages({ 'any.required': `is required and must be one of [${PAGINATION_TYPES.join(', ')}]` }),
      }),
    ).unknown(true),
  })
  .meta({ className: 'Pagination' });

/** A nested object whose leaves are output column names. */
export const dataSchemaSchema = Joi.object()
  .pattern(
    Joi.string(),
    Joi.alternatives()
      .try(Joi.string().min(1), Joi.link('#dataSchema'))
      // The link reaches the extraction's copy, where null means absent; a leaf must not be null.
      .invalid(null)
      .messages({
        'alternatives.types': 'must be a column name (a string) or a nested data_schema object',
        'any.invalid': 'must be a column name (a string) or a nested data_schema object',
      }),
  )
  .id('dataSchema')
  .meta({ className: 'DataSchemaDoc' });

export const mappingFetchSchema = Joi.object(
  keysOf({
    endpoint: endpointSchema.required(),
    prefix: Joi.string().allow('').default(''),
    data_schema: dataSchemaSchema,
    concurrency: integerBetween(1, 256).default(8).description('Detail requests in flight at once.'),
  }),
).meta({ className: 'MappingFetch' });

export const transformationSchema = Joi.object(
  keysOf({
    action: Joi.string().required(),
    priority: integerBetween(-1_000_000, 1_000_000).default(0),
    on: Joi.array().items(Joi.string()),
    new_column_prefix: Joi.string().min(1),
    params: Joi.object().unknown(true).default({}),
  }),
).meta({ className: 'Transformation' });

export const httpOptionsSchema = Joi.object(
  keysOf({
    timeout_ms: integerBetween(100, 600_000).default(30_000).description('Headers and body idle timeout.'),
    connect_timeout_ms: integerBetween(100, 120_000).default(10_000),
    request_timeout_ms: integerBetween(100, 3_600_000)
      .default(DEFAULT_REQUEST_TIMEOUT_MS)
      .description('Deadline for one request, headers and whole body, per attempt.'),
    min_bytes_per_second: integerBetween(0, 1_000_000_000)
      .default(DEFAULT_MIN_BYTES_PER_SECOND)
      .description('Slowest accepted body, judged over each timeout_ms window; 0 = off.'),
    max_attempts: integerBetween(1, 20).default(5).description('Tries per request, first included.'),
    backoff_base_ms: integerBetween(0, 60_000).default(500),
    backoff_max_ms: integerBetween(0, 600_000).default(30_000),
    requests_per_second: numberBetween(0.01, 1000).description(
      'Rate limit for this extraction (0.01 = one request per 100 s); absent = none.',
    ),
  }),
).meta({ className: 'HttpOptions' });

export const s3DestinySchema = Joi.object(
  keysOf({
    bucket: Joi.string()
      .pattern(BUCKET_NAME_PATTERN)
      .custom((name: string, helpers) => {
        const problem = bucketNameProblem(name);
        return problem ? helpers.error('string.bucket', { problem }) : name;
      })
      .messages({
        'string.empty': BUCKET_NAME_RULE,
        'string.pattern.base': BUCKET_NAME_RULE,
        'string.bucket': '{#problem}',
      })
      .description(
        "Absent = the deployment's output bucket. S3's bucket naming rules: 3 to 63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit, no `..`, not an IP address, no reserved prefix (`xn--`, `sthree-`, `amzn-s3-demo-`) or suffix (`-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).",
      ),
    folder: Joi.string().allow('').default(''),
    filename: Joi.string().min(1).default('{timestamp}'),
  }),
).meta({ className: 'S3Destiny' });

export const outputParamsSchema = Joi.object(
  keysOf({
    csv_separator: Joi.string().length(1).default(',').messages({
      'string.length': 'must be a single character',
      'string.empty': 'must be a single character',
    }),
  }),
).meta({ className: 'OutputParams' });

/** Carol's rule for a staging table's name: letters and digits, starting with a letter. */
export const CAROL_TABLE_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;
export const CAROL_TABLE_RULE =
  "must be letters and digits starting with a letter (Carol's rule for a staging table), at most 64 characters";
export const CAROL_AUTH_TYPES = ['connector_token', 'oauth'] as const;
export const CAROL_SCHEMA_MODES = ['keep', 'create', 'update'] as const;
export const CAROL_FIELD_TYPES = ['string', 'long', 'double', 'boolean', 'date', 'object', 'nested'] as const;
export const CAROL_INTAKE_ROUTES = ['v3', 'v2'] as const;
export const DEFAULT_CAROL_RECORDS_PER_REQUEST = 500;
export const DEFAULT_CAROL_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

const carolCredential = Joi.string().min(1).max(MAX_HEADER_VALUE_LENGTH);

export const carolAuthSchema = Joi.object(
  keysOf({
    type: Joi.string()
      .valid(...CAROL_AUTH_TYPES)
      .required()
      .messages({ 'any.only': `must be one of [${CAROL_AUTH_TYPES.join(', ')}]` }),
    api_key: carolCredential.description(
      'connector_token: the connector token (`X-Auth-Key`); a `${secret::…}` reference.',
    ),
    username: carolCredential.description('oauth: the user; a `${secret::…}` reference or literal.'),
    password: carolCredential.description('oauth: the password; a `${secret::…}` reference.'),
    environment: Joi.string().min(1).max(256).description('oauth: the environment (tenant subdomain).'),
    organization: Joi.string().min(1).max(256).description('oauth: the organization (org subdomain).'),
  }),
).meta({ className: 'CarolAuth' });

export const carolDestinySchema = Joi.object(
  keysOf({
    url: Joi.string()
      .max(MAX_URL_LENGTH)
      .uri({ scheme: ['http', 'https'] })
      .required()
      .messages({
        'string.uri': 'must be an absolute http or https URL, written literally (no references)',
        'string.uriCustomScheme': 'must be an absolute http or https URL, written literally (no references)',
      })
      .description(
        "Carol's base URL (e.g. `https://myorg.carol.ai`), written literally; may carry a path prefix.",
      ),
    connector_id: Joi.string()
      .min(1)
      .max(256)
      .required()
      .description('Literal or a `${secret::…}` reference.'),
    table: Joi.string()
      .max(64)
      .pattern(CAROL_TABLE_PATTERN)
      .required()
      .messages({
        'string.pattern.base': CAROL_TABLE_RULE,
        'string.max': CAROL_TABLE_RULE,
        'string.empty': CAROL_TABLE_RULE,
      })
      .description('The staging table.'),
    auth: carolAuthSchema.required(),
    crosswalk: Joi.array()
      .items(Joi.string().min(1).max(MAX_JSON_FIELD_LENGTH))
      .min(1)
      .unique()
      .required()
      .messages({
        'array.min': 'must name at least one field',
        'array.unique': 'must not name a field twice',
      })
      .description("The table's key fields: output columns every row carries."),
    records_per_request: integerBetween(1, 5000).default(DEFAULT_CAROL_RECORDS_PER_REQUEST),
    max_request_bytes: integerBetween(1024, 10_000_000)
      .default(DEFAULT_CAROL_MAX_REQUEST_BYTES)
      .description('Uncompressed JSON bytes per intake request at most.'),
    schema: Joi.string()
      .valid(...CAROL_SCHEMA_MODES)
      .default('keep')
      .description(
        'keep: leave the staging schema alone; create: create it when absent; update: create or replace it.',
      ),
    schema_types: Joi.object()
      .pattern(Joi.string(), Joi.string().valid(...CAROL_FIELD_TYPES))
      .description('Column type overrides for create/update; other columns are typed from the data.'),
    intake: Joi.string()
      .valid(...CAROL_INTAKE_ROUTES)
      .default('v3'),
    write_file: Joi.boolean()
      .default(true)
      .description('Also write the file of s3_destiny; false = Carol only.'),
  }),
).meta({ className: 'CarolDestiny' });

export const OUTPUT_FORMATS = ['csv', 'json', 'jsonl'] as const;

export const extractionSchema = Joi.object(
  keysOf({
    id: Joi.string().min(1),
    name: Joi.string().min(1).required(),
    endpoint: endpointSchema.required(),
    data_key: jsonField,
    pagination: paginationSchema.default({ type: 'none', parameters: {} }),
    data_schema: dataSchemaSchema,
    mapping_fetch: mappingFetchSchema,
    transformations: Joi.array().items(transformationSchema).default([]),
    format: Joi.string()
      .valid(...OUTPUT_FORMATS)
      .default('csv'),
    output_params: outputParamsSchema.default({ csv_separator: ',' }),
    s3_destiny: s3DestinySchema.default({ folder: '', filename: '{timestamp}' }),
    carol_destiny: carolDestinySchema.description('Also (or only) load the rows into a Carol staging table.'),
    http: httpOptionsSchema.default(),
  }),
).meta({ className: 'Extraction' });

export const apiConfigSchema = Joi.object(
  keysOf({
    id: Joi.string().min(1),
    name: Joi.string().min(1).required(),
    schedule: Joi.string()
      .min(1)
      .max(MAX_SCHEDULE_LENGTH)
      .meta({ openapi: { pattern: SCHEDULE_SHAPE } })
      .description(
        'Cron (AWS 6-field or 5-field, UTC, optionally wrapped as `cron(…)`); absent = global default. The pattern is the shape; the fields are checked when the config is saved.',
      ),
    enabled: Joi.boolean().default(true),
    auth: authSchema.default({ access_token: '' }),
    extractions: Joi.array()
      .items(extractionSchema)
      .min(1)
      .message('must contain at least one extraction')
      .required(),
  }),
).meta({ className: 'ApiConfig' });
