/**
 * Every route of the API, described once: the OpenAPI document and the Postman
 * collection are generated from this table, and the HTTP tests check that the app
 * serves exactly these routes.
 */
import type Joi from 'joi';
import { apiConfigSchema } from '../core/config/schema';
import {
  apiKeyCreateSchema,
  apiKeyIssuedSchema,
  apiKeyListSchema,
  deletedSchema,
  executeResultSchema,
  executionLogListSchema,
  healthSchema,
  previewQuerySchema,
  previewResultSchema,
  allRunsQuerySchema,
  callerSchema,
  downloadLinkSchema,
  runListSchema,
  runPageSchema,
  validationResultSchema,
  runStatusSchema,
  runsQuerySchema,
  secretNamesSchema,
  secretSavedSchema,
  secretSetSchema,
} from './schemas';

/** Who may call: nobody needs a key, any key, the root key, or root or the key's owner. */
export type Access = 'public' | 'key' | 'root' | 'root-or-owner';

/** A schema: a joi schema, or the name of a component the OpenAPI builder defines itself. */
export type SchemaSource = Joi.Schema | 'StoredConfig' | 'SavedConfig' | 'ConfigList' | 'ConfigHistory';

export interface ResponseDoc {
  status: number;
  description: string;
  schema?: SchemaSource;
}

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI style: `/config/{id}`. */
  path: string;
  /** Also the Postman request name. */
  summary: string;
  description?: string;
  tag: 'Config' | 'Runs and logs' | 'API keys' | 'Secrets' | 'Service';
  access: Access;
  body?: { schema: Joi.Schema; example: unknown; required: boolean };
  query?: Joi.ObjectSchema;
  /** Success and route-specific errors; 401/403/413/500 are added from `access`. */
  responses: ResponseDoc[];
}

/** The Zoho deals config of the original tool's README, shortened. */
export const EXAMPLE_CONFIG = {
  name: 'Zoho',
  auth: {
    refresh_token: {
      endpoint: {
        url: 'https://accounts.zoho.com/oauth/v2/token',
        query_params: {
          refresh_token: '${secret::zoho_refresh_token}',
          client_id: '${secret::zoho_client_id}',
          client_secret: '${secret::zoho_client_secret}',
          grant_type: 'refresh_token',
        },
      },
      response_token_key: 'access_token',
    },
    access_token: '',
  },
  extractions: [
    {
      name: 'deals',
      endpoint: {
        url: 'https://www.zohoapis.com/crm/v2/deals',
        headers: {
          Authorization: 'Bearer ${self::auth.access_token}',
          'If-Modified-Since': '${last::Modified_Time, 2020-09-03T17:40:53-05:00}',
        },
        query_params: { sort_by: 'Modified_Time', sort_order: 'asc' },
      },
      data_key: 'data',
      pagination: {
        type: 'sequential',
        parameters: { param_name: 'page', start_from: 1, there_are_more_pages: 'info.more_records' },
      },
      data_schema: {
        id: 'id',
        Deal_Name: 'deal_name',
        Owner: { name: 'owner_name' },
        Modified_Time: 'modified_time',
      },
      format: 'csv',
      output_params: { csv_separator: ';' },
      s3_destiny: { folder: 'zoho/deals/' },
    },
  ],
};

const configBody = { schema: apiConfigSchema, example: EXAMPLE_CONFIG, required: true };
const notFound: ResponseDoc = { status: 404, description: 'No such config: `{"error": "Not found"}`.' };
const invalid = (what: string): ResponseDoc => ({
  status: 400,
  description: `${what}: \`{"error": "invalid config", "details": [{path, message}, …]}\` with every issue; or a malformed JSON body.`,
});

export const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'GET',
    path: '/config',
    summary: 'List configs',
    tag: 'Config',
    access: 'key',
    responses: [{ status: 200, description: 'Every saved config.', schema: 'ConfigList' }],
  },
  {
    method: 'POST',
    path: '/config',
    summary: 'Create config',
    description:
      "Validates the config, assigns `id` to it and to each extraction, fills defaults (the deployment's output bucket in `s3_destiny.bucket` included) and saves it; the history records the key name.",
    tag: 'Config',
    access: 'key',
    body: configBody,
    responses: [
      {
        status: 200,
        description:
          'The stored config, with ids and defaults; `warnings` when a referenced secret does not exist yet (saved anyway).',
        schema: 'SavedConfig',
      },
      invalid('Invalid config'),
    ],
  },
  {
    method: 'GET',
    path: '/config/{id}',
    summary: 'Retrieve config',
    tag: 'Config',
    access: 'key',
    responses: [
      {
        status: 200,
        description: 'The config as saved (secret references, never values).',
        schema: 'StoredConfig',
      },
      notFound,
    ],
  },
  {
    method: 'PUT',
    path: '/config/{id}',
    summary: 'Update config',
    description:
      "Replaces the config. Extractions keep the ids they name (which must be this config's); one without an id takes the id of the extraction with the same name, else a new one.",
    tag: 'Config',
    access: 'key',
    body: { ...configBody, example: { ...EXAMPLE_CONFIG, name: 'Zoho updated' } },
    responses: [
      {
        status: 200,
        description:
          'The stored config; `warnings` when a referenced secret does not exist yet (saved anyway).',
        schema: 'SavedConfig',
      },
      invalid('Invalid config, or an extraction id the config does not have'),
      notFound,
      { status: 409, description: 'The config changed meanwhile; read it again and retry.' },
    ],
  },
  {
    method: 'DELETE',
    path: '/config/{id}',
    summary: 'Delete config',
    tag: 'Config',
    access: 'key',
    responses: [
      { status: 200, description: 'Deleted; the history keeps it.', schema: deletedSchema },
      notFound,
    ],
  },
  {
    method: 'GET',
    path: '/config/{id}/history',
    summary: 'List config history',
    description:
      'Every saved version, newest first, with `updated_at`, the key name (`api_key`, `api_key_name`) and `delete: true` on deletions. A config id that never existed has an empty history, as in the original tool.',
    tag: 'Config',
    access: 'key',
    responses: [
      {
        status: 200,
        description: 'The versions (`Items` empty for an unknown id).',
        schema: 'ConfigHistory',
      },
    ],
  },
  {
    method: 'POST',
    path: '/config/{id}/execute',
    summary: 'Execute config',
    description:
      'Starts a run of every extraction; the run proceeds asynchronously. Poll `/runs/{run_id}` or `/extractions/{id}/logs`.',
    tag: 'Config',
    access: 'key',
    responses: [{ status: 200, description: 'The run started.', schema: executeResultSchema }, notFound],
  },
  {
    method: 'GET',
    path: '/config/{id}/runs',
    summary: 'List config runs',
    tag: 'Runs and logs',
    access: 'key',
    query: runsQuerySchema,
    responses: [{ status: 200, description: 'Recent runs, newest first.', schema: runListSchema }, notFound],
  },
  {
    method: 'POST',
    path: '/config/{id}/preview',
    summary: 'Preview config',
    description: 'Fetches the first page of each extraction and returns the mapped rows; writes nothing.',
    tag: 'Config',
    access: 'key',
    query: previewQuerySchema,
    responses: [
      { status: 200, description: 'Rows per extraction (or its error).', schema: previewResultSchema },
      notFound,
    ],
  },
  {
    method: 'POST',
    path: '/preview',
    summary: 'Preview unsaved config',
    description:
      'Validates the body as a config, fetches the first page of each extraction and returns the mapped rows; saves and writes nothing.',
    tag: 'Config',
    access: 'key',
    query: previewQuerySchema,
    body: configBody,
    responses: [
      { status: 200, description: 'Rows per extraction (or its error).', schema: previewResultSchema },
      invalid('Invalid config'),
    ],
  },
  {
    method: 'POST',
    path: '/validate',
    summary: 'Validate config',
    description:
      'Checks the body as `POST /config` would, without saving anything or fetching: 200 when it would be accepted, else the same 400 as a refused save, with every issue and the path of the field it names (e.g. `extractions[0].endpoint.url`). The dashboard calls it as the user types.',
    tag: 'Config',
    access: 'key',
    body: configBody,
    responses: [
      { status: 200, description: 'The config is valid.', schema: validationResultSchema },
      invalid('Invalid config, or a body that is not a JSON object'),
    ],
  },
  {
    method: 'GET',
    path: '/runs',
    summary: 'List runs',
    description:
      'Every run of every config, newest first; filter by `config_id` and `status`. A page holds at most `limit` runs; pass its `next_cursor` as `cursor` for the next one.',
    tag: 'Runs and logs',
    access: 'key',
    query: allRunsQuerySchema,
    responses: [{ status: 200, description: 'A page of runs, newest first.', schema: runPageSchema }],
  },
  {
    method: 'GET',
    path: '/runs/{id}',
    summary: 'Run status',
    description:
      'Status with live progress: counters, and per extraction its status, pages done and (once known) the page count.',
    tag: 'Runs and logs',
    access: 'key',
    responses: [
      { status: 200, description: 'The run.', schema: runStatusSchema },
      { status: 404, description: 'No such run.' },
    ],
  },
  {
    method: 'GET',
    path: '/runs/{id}/files/{extraction}',
    summary: 'Output file link',
    description:
      "A short-lived link (5 minutes) to the output file one extraction of a run wrote, needing no key: the API's own signed `/downloads/{token}` link in embedded mode, an S3 presigned URL on AWS.",
    tag: 'Runs and logs',
    access: 'key',
    responses: [
      { status: 200, description: 'The link.', schema: downloadLinkSchema },
      { status: 404, description: 'No such run or extraction, or it wrote no file (yet).' },
    ],
  },
  {
    method: 'GET',
    path: '/downloads/{token}',
    summary: 'Download output file',
    description:
      'The file a link from `/runs/{id}/files/{extraction}` names, as an attachment; the signed token is the authorisation, valid 5 minutes and only in the process that issued it.',
    tag: 'Runs and logs',
    access: 'public',
    responses: [
      { status: 200, description: 'The file (CSV or JSON).' },
      { status: 404, description: 'Invalid or expired link, or no such file.' },
    ],
  },
  {
    method: 'GET',
    path: '/extractions/{id}/logs',
    summary: 'List extraction logs',
    description: "Execution logs of one extraction (its id, not the config's), newest first.",
    tag: 'Runs and logs',
    access: 'key',
    responses: [
      {
        status: 200,
        description: 'The logs (none for an extraction that never ran).',
        schema: executionLogListSchema,
      },
    ],
  },
  {
    method: 'GET',
    path: '/me',
    summary: 'Current key',
    description: 'Who the presented key is: its name and whether it is the root key.',
    tag: 'API keys',
    access: 'key',
    responses: [{ status: 200, description: 'The caller.', schema: callerSchema }],
  },
  {
    method: 'GET',
    path: '/api-keys',
    summary: 'List API keys',
    description: "Every key's name and whether it is the root key; never a key or its hash.",
    tag: 'API keys',
    access: 'root',
    responses: [{ status: 200, description: 'The keys, by name.', schema: apiKeyListSchema }],
  },
  {
    method: 'POST',
    path: '/api-keys',
    summary: 'Create API key',
    tag: 'API keys',
    access: 'root',
    body: { schema: apiKeyCreateSchema, example: { name: 'juan' }, required: true },
    responses: [
      { status: 200, description: 'The new key, shown once.', schema: apiKeyIssuedSchema },
      { status: 400, description: 'Invalid name.' },
      { status: 409, description: 'The name is taken (refresh it instead).' },
    ],
  },
  {
    method: 'POST',
    path: '/api-keys/{name}/refresh',
    summary: 'Refresh API key',
    description:
      'Replaces the key; the old one stops working at once. The root key may rotate itself (only the root key can), unless `ROOT_API_KEY` sets it (409).',
    tag: 'API keys',
    access: 'root-or-owner',
    responses: [
      { status: 200, description: 'The new key, shown once.', schema: apiKeyIssuedSchema },
      { status: 404, description: 'No such key.' },
      {
        status: 409,
        description:
          'The root key is set by `ROOT_API_KEY`: rotate it by changing the variable and restarting.',
      },
    ],
  },
  {
    method: 'DELETE',
    path: '/api-keys/{name}',
    summary: 'Delete API key',
    description: 'The root key cannot be deleted through the API (403).',
    tag: 'API keys',
    access: 'root-or-owner',
    responses: [
      { status: 200, description: 'Deleted.', schema: deletedSchema },
      { status: 404, description: 'No such key.' },
    ],
  },
  {
    method: 'GET',
    path: '/secrets',
    summary: 'List secret names and origins',
    tag: 'Secrets',
    access: 'root',
    responses: [
      {
        status: 200,
        description: 'Names and the origins each may be sent to; values never leave the store.',
        schema: secretNamesSchema,
      },
    ],
  },
  {
    method: 'PUT',
    path: '/secrets/{name}',
    summary: 'Set secret',
    description:
      'Creates or replaces one extractor secret (`${secret::name}`) and, with `origins`, the origins it may be sent to; the value is never returned.',
    tag: 'Secrets',
    access: 'root',
    body: {
      schema: secretSetSchema,
      example: { value: 'the-refresh-token', origins: ['https://accounts.zoho.com'] },
      required: true,
    },
    responses: [
      { status: 200, description: 'Saved.', schema: secretSavedSchema },
      { status: 400, description: 'Invalid name or body.' },
    ],
  },
  {
    method: 'DELETE',
    path: '/secrets/{name}',
    summary: 'Delete secret',
    tag: 'Secrets',
    access: 'root',
    responses: [
      { status: 200, description: 'Deleted.', schema: deletedSchema },
      { status: 404, description: 'No such secret.' },
    ],
  },
  {
    method: 'GET',
    path: '/health',
    summary: 'Health',
    tag: 'Service',
    access: 'public',
    responses: [{ status: 200, description: 'The API answers.', schema: healthSchema }],
  },
  {
    method: 'GET',
    path: '/openapi.json',
    summary: 'OpenAPI document',
    tag: 'Service',
    access: 'public',
    responses: [{ status: 200, description: 'This document.' }],
  },
  {
    method: 'GET',
    path: '/',
    summary: 'Dashboard',
    description: 'The web dashboard (HTML; sign in with an API key). See docs/dashboard.md.',
    tag: 'Service',
    access: 'public',
    responses: [{ status: 200, description: 'The dashboard page (HTML).' }],
  },
  {
    method: 'GET',
    path: '/docs/',
    summary: 'Interactive docs',
    tag: 'Service',
    access: 'public',
    responses: [{ status: 200, description: 'Swagger UI (HTML).' }],
  },
];
