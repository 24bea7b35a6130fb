/**
 * The OpenAPI 3 document of the API, generated from the joi schemas that validate
 * requests (the config schema and shared/api/schemas.ts) and the route table.
 */
import type Joi from 'joi';
import { apiConfigSchema } from '../core/config/schema';
import { OpenApiSchemas, type SchemaObject } from './joiToOpenApi';
import { type Access, ROUTE_DOCS, type RouteDoc, type SchemaSource } from './routeDocs';
import { errorSchema } from './schemas';

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers?: Array<{ url: string }>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, SchemaObject>>;
  components: { schemas: Record<string, SchemaObject>; securitySchemes: Record<string, SchemaObject> };
}

const DESCRIPTION = [
  'Configure, run and monitor REST API extractions.',
  '',
  'Every route except `/health` and the docs needs an API key in `Authorization`: the raw key',
  '(as the original tool) or `Bearer <key>`. Missing or unknown key: 401; not allowed: 403.',
  'Errors are always `{"error": "…"}`; an invalid config answers 400 with every issue in `details`.',
].join('\n');

const PARAMETER_DESCRIPTIONS: Record<string, string> = {
  id: 'The id of the config, run or extraction the path names.',
  name: 'The API key or secret name.',
};

/** Configs as stored: the config schema with the server's ids required. */
function storedConfigComponents(configRef: SchemaObject, config: SchemaObject): Record<string, SchemaObject> {
  const ids = {
    type: 'object',
    required: ['id', 'extractions'],
    properties: {
      id: { type: 'string', description: 'Assigned by the server.' },
      extractions: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', description: 'Assigned by the server.' } },
        },
      },
    },
  };
  // Not `allOf: [StoredConfig, …]`: the config forbids unknown keys, and under allOf
  // that forbids the added fields too. The config's properties, then the added ones.
  const storedWith = (
    description: string,
    required: string[],
    properties: Record<string, SchemaObject>,
  ): SchemaObject => ({
    type: 'object',
    description,
    required: [
      ...new Set([...((config.required as string[] | undefined) ?? []), ...ids.required, ...required]),
    ],
    properties: {
      ...(config.properties as Record<string, SchemaObject>),
      id: ids.properties.id,
      extractions: {
        allOf: [(config.properties as Record<string, SchemaObject>).extractions, ids.properties.extractions],
      },
      ...properties,
    },
    additionalProperties: false,
  });
  return {
    StoredConfig: { allOf: [configRef, ids] },
    ConfigList: {
      type: 'object',
      required: ['Items', 'Count'],
      properties: {
        Items: { type: 'array', items: { $ref: '#/components/schemas/StoredConfig' } },
        Count: { type: 'integer' },
      },
    },
    ConfigHistoryItem: storedWith(
      'A config version: the config as saved plus who changed it, when, and its version.',
      ['updated_at', 'api_key', 'api_key_name', 'version'],
      {
        updated_at: { type: 'string', description: 'UTC, `YYYY-MM-DD HH:MM:SS.ffffff`.' },
        api_key: {
          type: 'string',
          description: 'The *name* of the key that made the change (as in the original tool), never the key.',
        },
        api_key_name: { type: 'string', description: 'Same as `api_key`.' },
        version: { type: 'integer', minimum: 1, description: '1 for the creation, then +1 per change.' },
        delete: { type: 'boolean', enum: [true], description: 'Present on deletions.' },
      },
    ),
    SavedConfig: storedWith(
      'The config as saved, plus `warnings` when there is something to know about it.',
      [],
      {
        warnings: {
          type: 'array',
          description:
            'Present only when not empty: what the config was saved with anyway, at the field each names, e.g. a secret that does not exist yet (its runs fail until it is set). Names only, never values.',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
            additionalProperties: false,
          },
        },
      },
    ),
    ConfigHistory: {
      type: 'object',
      required: ['Items', 'Count'],
      properties: {
        Items: {
          type: 'array',
          items: { $ref: '#/components/schemas/ConfigHistoryItem' },
          description: 'Newest first.',
        },
        Count: { type: 'integer' },
      },
    },
  };
}

function schemaOf(source: SchemaSource, schemas: OpenApiSchemas): SchemaObject {
  return typeof source === 'string' ? { $ref: `#/components/schemas/${source}` } : schemas.convert(source);
}

function queryParameters(query: Joi.ObjectSchema | undefined, schemas: OpenApiSchemas): SchemaObject[] {
  if (!query) return [];
  const converted = schemas.convert(query);
  const properties = (converted.properties ?? {}) as Record<string, SchemaObject>;
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

function accessResponses(access: Access, schemas: OpenApiSchemas): Record<string, SchemaObject> {
  const error = (description: string): SchemaObject => ({
    description,
    content: { 'application/json': { schema: schemas.convert(errorSchema) } },
  });
  const out: Record<string, SchemaObject> = {};
  if (access === 'public') return out;
  out['401'] = error('Missing or unknown API key.');
  if (access === 'root') out['403'] = error('Only the root key may do this.');
  if (access === 'root-or-owner') out['403'] = error("Only the root key or the key's owner may do this.");
  out['500'] = error(
    'Unexpected failure: `{"error": "internal error"}` (details are logged, never returned).',
  );
  return out;
}

function operation(route: RouteDoc, schemas: OpenApiSchemas): SchemaObject {
  const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: PARAMETER_DESCRIPTIONS[name!] ?? name,
    schema: { type: 'string' },
  }));
  const responses: Record<string, SchemaObject> = {};
  for (const response of route.responses) {
    const schema = response.schema
      ? schemaOf(response.schema, schemas)
      : response.status >= 400
        ? schemas.convert(errorSchema)
        : undefined;
    const type = route.path === '/docs/' ? 'text/html' : 'application/json';
    responses[String(response.status)] = schema
      ? { description: response.description, content: { [type]: { schema } } }
      : { description: response.description };
  }
  if (route.query) {
    responses['400'] ??= {
      description:
        'Invalid query string: `{"error": "invalid query string", "details": [{path, message}, …]}` (a value out of its documented range, or an unknown parameter).',
      content: { 'application/json': { schema: schemas.convert(errorSchema) } },
    };
  }
  if (route.body) {
    responses['413'] = {
      description: 'Body larger than 1 MB.',
      content: { 'application/json': { schema: schemas.convert(errorSchema) } },
    };
    responses['400'] ??= {
      description: 'Malformed JSON or invalid body.',
      content: { 'application/json': { schema: schemas.convert(errorSchema) } },
    };
  }
  Object.assign(responses, accessResponses(route.access, schemas));
  const op: SchemaObject = {
    operationId: route.summary
      .replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))
      .replace(/^./, (c) => c.toLowerCase()),
    summary: route.summary,
    tags: [route.tag],
    parameters: [...pathParameters, ...queryParameters(route.query, schemas)],
    responses,
    security: route.access === 'public' ? [] : [{ ApiKey: [] }],
  };
  if (route.description) op.description = route.description;
  if (route.body) {
    op.requestBody = {
      required: route.body.required,
      content: {
        'application/json': { schema: schemas.convert(route.body.schema), example: route.body.example },
      },
    };
  }
  return op;
}

/**
 * @example
 * app.get('/openapi.json', (_req, res) => res.json(buildOpenApiDocument()));
 */
export function buildOpenApiDocument(version = '0.1.0'): OpenApiDocument {
  const schemas = new OpenApiSchemas();
  const configRef = schemas.component(apiConfigSchema);
  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTE_DOCS) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, schemas);
  }
  return {
    openapi: '3.0.3',
    info: { title: 'API Extractor config API', version, description: DESCRIPTION },
    tags: [...new Set(ROUTE_DOCS.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        ...schemas.components,
        ...storedConfigComponents(configRef, schemas.components.ApiConfig!),
      },
      securitySchemes: {
        ApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The raw API key, or `Bearer <key>`.',
        },
      },
    },
  };
}
