/**
 * Joi schemas of the API's own request bodies, query strings and answers. Requests
 * are validated with them, and they (with the config schema of
 * shared/core/config/schema.ts) are what the OpenAPI document is generated from.
 * The answer schemas are not checked at run time; the HTTP tests compare real
 * answers with them.
 */
import Joi from 'joi';
import { formatPath, type ValidationIssue } from '../core/config/validate';
import { parseOrigin } from '../core/secretOrigins';
import { SECRET_NAME_PATTERN } from '../ports/secrets';
import { invalidRequest } from './errors';

export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;

export const apiKeyCreateSchema = Joi.object({
  name: Joi.string()
    .pattern(API_KEY_NAME_PATTERN)
    .required()
    .messages({ 'string.pattern.base': 'must be 1 to 64 letters, digits or _ . @ -' })
    .description("The person's name; recorded in the history of every config change made with the key."),
}).meta({ className: 'ApiKeyCreate' });

export const secretParamsSchema = Joi.object({
  name: Joi.string()
    .pattern(SECRET_NAME_PATTERN)
    .required()
    .messages({ 'string.pattern.base': 'must be 1 to 128 letters, digits or _ $ -' })
    .description('The name configs use in `${secret::name}`.'),
});

/** One origin a secret may be sent to, normalised (`https://API.example.com:443/` → `https://api.example.com`). */
const originSchema = Joi.string()
  .custom((text: string, helpers) => {
    const parsed = parseOrigin(text);
    return parsed.ok ? parsed.origin : helpers.message({ custom: parsed.reason });
  })
  .example('https://api.example.com');

export const secretSetSchema = Joi.object({
  value: Joi.any()
    .required()
    .description(
      'Any JSON value; read in configs as `${secret::name}` (or `${secret::name.key}` for an object).',
    ),
  origins: Joi.array()
    .items(originSchema)
    .min(1)
    .max(50)
    .unique()
    .description(
      'The origins (`scheme://host:port`) the secret may be sent to; replaces its binding. Absent: a bound secret keeps its origins, an unbound one is bound by the first config saved or previewed that uses it.',
    ),
}).meta({ className: 'SecretSet' });

export const previewQuerySchema = Joi.object({
  limit: Joi.number().integer().min(1).max(500).default(20).description('Rows returned per extraction.'),
  extraction: Joi.string().min(1).description('Only the extraction with this id or name.'),
});

export const runsQuerySchema = Joi.object({
  limit: Joi.number().integer().min(1).max(200).default(20).description('How many runs, newest first.'),
});

const issueSchema = Joi.object({
  path: Joi.string()
    .allow('')
    .required()
    .description('Where, e.g. `extractions[0].pagination.parameters.step`.'),
  message: Joi.string().required(),
}).meta({ className: 'ValidationIssue' });

export const errorSchema = Joi.object({
  error: Joi.string().required(),
  details: Joi.array().items(issueSchema).description('Every validation issue, when the body was invalid.'),
}).meta({ className: 'Error' });

export const apiKeyIssuedSchema = Joi.object({
  name: Joi.string().required(),
  api_key: Joi.string().required().description('The key; shown this once, only its hash is stored.'),
}).meta({ className: 'ApiKeyIssued' });

export const deletedSchema = Joi.object({
  id: Joi.string(),
  name: Joi.string(),
  deleted: Joi.boolean().valid(true).required(),
}).meta({ className: 'Deleted' });

export const secretNamesSchema = Joi.object({
  Items: Joi.array()
    .items(Joi.string())
    .required()
    .description('Secret names, sorted; values are never returned.'),
  Count: Joi.number().integer().required(),
  Origins: Joi.object()
    .pattern(Joi.string(), Joi.array().items(Joi.string()).allow(null))
    .required()
    .description("Each secret's origins (where it may be sent); null while it is unbound."),
}).meta({ className: 'SecretNames' });

export const secretSavedSchema = Joi.object({
  name: Joi.string().required(),
  saved: Joi.boolean().valid(true).required(),
}).meta({ className: 'SecretSaved' });

export const executeResultSchema = Joi.object({
  run_id: Joi.string().required(),
  run_ids: Joi.array().items(Joi.string()).required(),
  config_id: Joi.string().required(),
  status: Joi.string().valid('running', 'succeeded', 'failed').required(),
  extraction_ids: Joi.array()
    .items(Joi.string())
    .required()
    .description('Poll `/extractions/{id}/logs` with these.'),
}).meta({ className: 'ExecuteResult' });

const countersSchema = Joi.object({
  pages: Joi.number().integer(),
  rows: Joi.number().integer(),
  requests: Joi.number().integer(),
  retries: Joi.number().integer(),
  details: Joi.number().integer(),
  warnings: Joi.number().integer(),
}).meta({ className: 'RunCounters' });

export const executionLogSchema = Joi.object({
  extraction_name: Joi.string(),
  extraction_id: Joi.string(),
  config_name: Joi.string(),
  config_id: Joi.string(),
  success: Joi.string().valid('true', 'false').description('String-typed, as in the original tool.'),
  error: Joi.string().allow(null),
  data_inserted_len: Joi.string(),
  destiny: Joi.string().allow(null),
  last: Joi.any(),
  created_at: Joi.string(),
  run_id: Joi.string(),
  started_at: Joi.string(),
  finished_at: Joi.string(),
  pages: Joi.number().integer(),
  requests: Joi.number().integer(),
  retries: Joi.number().integer(),
  detail_requests: Joi.number().integer(),
  warnings: Joi.number().integer(),
  warning_messages: Joi.array().items(Joi.string()),
  carol: Joi.object({
    destination: Joi.string().description("Carol's base URL."),
    table: Joi.string(),
    batch_id: Joi.string(),
    requests: Joi.number().integer().description('Intake requests of the batch.'),
    records: Joi.number().integer().description("Records sent: the summary's totalRecords."),
  })
    .meta({ className: 'CarolLoad' })
    .description('Present when the extraction loaded into Carol (carol_destiny).'),
}).meta({ className: 'ExecutionLog' });

export const executionLogListSchema = Joi.object({
  Items: Joi.array().items(executionLogSchema).required().description('Newest first.'),
  Count: Joi.number().integer().required(),
}).meta({ className: 'ExecutionLogList' });

export const runSummarySchema = Joi.object({
  run_id: Joi.string(),
  config_id: Joi.string(),
  config_name: Joi.string(),
  trigger: Joi.string().valid('api', 'schedule', 'cli'),
  status: Joi.string().valid('running', 'succeeded', 'failed'),
  error: Joi.string().allow(null),
  created_at: Joi.string(),
  updated_at: Joi.string(),
  finished_at: Joi.string().allow(null),
  extraction_ids: Joi.array().items(Joi.string()),
  counters: countersSchema,
}).meta({ className: 'RunSummary' });

export const runStatusSchema = runSummarySchema
  .keys({
    extractions: Joi.array().items(
      Joi.object({
        extraction_id: Joi.string(),
        extraction_name: Joi.string().allow(null),
        status: Joi.string().valid('running', 'finalizing', 'succeeded', 'failed', 'unknown'),
        pages_done: Joi.number().integer(),
        pages_total: Joi.number().integer().allow(null).description('Known once a page said "no more".'),
        failed_page: Joi.object({ index: Joi.number().integer(), error: Joi.string() }).allow(null),
        counters: countersSchema
          .allow(null)
          .description("This extraction's share of the run's counters; null until something is counted."),
        log: executionLogSchema.allow(null),
      }),
    ),
  })
  .meta({ className: 'RunStatus' });

export const runListSchema = Joi.object({
  Items: Joi.array().items(runSummarySchema).required().description('Newest first.'),
  Count: Joi.number().integer().required(),
}).meta({ className: 'RunList' });

export const previewResultSchema = Joi.object({
  Items: Joi.array()
    .items(
      Joi.object({
        extraction_id: Joi.string().allow(null),
        extraction_name: Joi.string(),
        ok: Joi.boolean(),
        error: Joi.string(),
        status: Joi.number().integer(),
        records_on_page: Joi.number().integer(),
        more_pages: Joi.boolean(),
        columns: Joi.array().items(Joi.string()),
        rows: Joi.array().items(Joi.object().unknown(true)),
      }).meta({ className: 'ExtractionPreview' }),
    )
    .required(),
}).meta({ className: 'PreviewResult' });

export const healthSchema = Joi.object({
  status: Joi.string().valid('ok').required(),
}).meta({ className: 'Health' });

const OPTIONS: Joi.ValidationOptions = { abortEarly: false, convert: true, errors: { label: false } };

/**
 * Validates a request part (`what`: "request body", "query string", "path") against
 * `schema`: the value with defaults, or a 400 naming every issue.
 */
export function parseWith<T>(schema: Joi.Schema, input: unknown, what = 'request body'): T {
  const { value, error } = schema.validate(input ?? {}, OPTIONS);
  if (error) {
    const details: ValidationIssue[] = error.details.map((d) => ({
      path: formatPath(d.path),
      message: d.message,
    }));
    throw invalidRequest(what, details);
  }
  return value as T;
}

export const allRunsQuerySchema = Joi.object({
  config_id: Joi.string().min(1).max(200).description("Only this config's runs."),
  status: Joi.string().valid('running', 'succeeded', 'failed').description('Only runs in this status.'),
  limit: Joi.number().integer().min(1).max(200).default(50).description('How many runs, newest first.'),
  cursor: Joi.string().max(1000).description('Where to continue: the `next_cursor` of the previous page.'),
});

export const runPageSchema = Joi.object({
  Items: Joi.array().items(runSummarySchema).required().description('Newest first.'),
  Count: Joi.number().integer().required(),
  next_cursor: Joi.string()
    .allow(null)
    .required()
    .description('Pass as `cursor` for the next page; null on the last page.'),
}).meta({ className: 'RunPage' });

export const validationResultSchema = Joi.object({
  valid: Joi.boolean().required().description('Always true: an invalid config is a 400.'),
  details: Joi.array().items(issueSchema).required().description('Always empty: an invalid config is a 400.'),
}).meta({ className: 'ValidationResult' });

export const callerSchema = Joi.object({
  name: Joi.string().required().description("The key's name (the root key's is `root`)."),
  root: Joi.boolean().required().description('Whether it is the root key (keys and secrets are root only).'),
}).meta({ className: 'Caller' });

export const downloadLinkSchema = Joi.object({
  extraction_id: Joi.string().required(),
  file_name: Joi.string().required(),
  location: Joi.string().required().description('Where the file is, e.g. `s3://bucket/key`.'),
  url: Joi.string()
    .required()
    .description(
      'A short-lived link to the file, needing no key: relative to the API (`/downloads/…`) in embedded mode, an S3 presigned URL on AWS.',
    ),
  expires_in: Joi.number().integer().required().description('Seconds the link stays valid.'),
}).meta({ className: 'DownloadLink' });

export const apiKeyListSchema = Joi.object({
  Items: Joi.array()
    .items(
      Joi.object({ name: Joi.string().required(), root: Joi.boolean().required() }).meta({
        className: 'ApiKeyName',
      }),
    )
    .required()
    .description('Every key by name; keys themselves are never returned (only their hashes are stored).'),
  Count: Joi.number().integer().required(),
}).meta({ className: 'ApiKeyList' });
