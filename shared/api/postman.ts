/**
 * The Postman collection (v2.1) of every route, generated from the route table:
 * `docs/postman_collection.json`. Variables: `{{base_url}}`, `{{api_key}}`, and the
 * ids the requests fill in for the next ones (`{{config_id}}`, `{{extraction_id}}`,
 * `{{run_id}}`), set by small test scripts after create and execute.
 *
 * It runs top to bottom (Postman's runner, newman): the service first, then the secret
 * the example config reads, the config's life (create … execute, preview), its run, API
 * keys, and last a "Clean up" folder that deletes the config and the secret. Each
 * request checks that it got its documented success status.
 */
import { ROUTE_DOCS, type RouteDoc } from './routeDocs';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Path parameter -> the collection variable it takes, per route prefix. */
function variableFor(path: string, name: string): string {
  if (name === 'id') {
    if (path.startsWith('/runs/')) return 'run_id';
    if (path.startsWith('/extractions/')) return 'extraction_id';
    return 'config_id';
  }
  if (name === 'extraction') return 'extraction_id';
  if (name === 'token') return 'download_token';
  return path.startsWith('/secrets/') ? 'secret_name' : 'key_name';
}

/** Scripts that carry ids from one request to the next. */
const SCRIPTS: Record<string, string[]> = {
  'Create config': [
    'const body = pm.response.json();',
    "if (body.id) pm.collectionVariables.set('config_id', body.id);",
    "if (body.extractions && body.extractions[0]) pm.collectionVariables.set('extraction_id', body.extractions[0].id);",
  ],
  // The run goes on after Execute answers: ask again (up to 120 times, 0.5 s apart)
  // until it has finished, so the requests for its files find them.
  'Run status': [
    'const body = pm.response.json();',
    "const tries = Number(pm.collectionVariables.get('run_status_tries') || 0);",
    "if (body.status === 'running' && tries < 120) {",
    "  pm.collectionVariables.set('run_status_tries', tries + 1);",
    "  setTimeout(function () { postman.setNextRequest('Run status'); }, 500);",
    '} else {',
    "  pm.collectionVariables.set('run_status_tries', 0);",
    "  pm.test('run finished', function () { pm.expect(body.status).to.not.equal('running'); });",
    '}',
  ],
  'Output file link': [
    'const body = pm.response.json();',
    "if (body.url && body.url.startsWith('/downloads/')) pm.collectionVariables.set('download_token', body.url.slice('/downloads/'.length));",
  ],
  'Execute config': [
    'const body = pm.response.json();',
    "if (body.run_id) pm.collectionVariables.set('run_id', body.run_id);",
    "if (body.extraction_ids && body.extraction_ids[0]) pm.collectionVariables.set('extraction_id', body.extraction_ids[0]);",
  ],
};

function item(route: RouteDoc): Json {
  // `/docs/` keeps its trailing slash: an empty last segment.
  const segments = route.path.split('/').slice(1);
  const variables: Json[] = [];
  const path = segments.map((segment) => {
    const match = /^\{(\w+)\}$/.exec(segment);
    if (!match) return segment;
    variables.push({ key: match[1]!, value: `{{${variableFor(route.path, match[1]!)}}}` });
    return `:${match[1]}`;
  });
  const query: Json[] = [];
  const queryKeys = route.query
    ? Object.keys((route.query.describe() as { keys?: Record<string, unknown> }).keys ?? {})
    : [];
  for (const key of queryKeys) query.push({ key, value: '', disabled: true });
  const header: Json[] = [];
  if (route.access !== 'public') header.push({ key: 'Authorization', value: '{{api_key}}', type: 'text' });
  if (route.body) header.push({ key: 'Content-Type', value: 'application/json', type: 'text' });
  const request: { [key: string]: Json } = {
    method: route.method,
    header,
    url: {
      raw: `{{base_url}}/${path.join('/')}`,
      host: ['{{base_url}}'],
      path,
      ...(variables.length ? { variable: variables } : {}),
      ...(query.length ? { query } : {}),
    },
  };
  if (route.description) request.description = route.description;
  if (route.body) {
    request.body = {
      mode: 'raw',
      raw: JSON.stringify(route.body.example, null, 4),
      options: { raw: { language: 'json' } },
    };
  }
  const success = route.responses.find((r) => r.status < 300)?.status ?? 200;
  const script = [
    `pm.test('status ${success}', function () { pm.response.to.have.status(${success}); });`,
    ...(SCRIPTS[route.summary] ?? []),
  ];
  return {
    name: route.summary,
    request,
    response: [],
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: script } }],
  };
}

/** Folders in the order a top-to-bottom run needs. */
const FOLDER_ORDER: Array<RouteDoc['tag']> = ['Service', 'Secrets', 'Config', 'Runs and logs', 'API keys'];
/** Requests that would break the ones after them: run last, in this order. */
const CLEAN_UP = ['Delete config', 'Delete secret'];

export function buildPostmanCollection(): Json {
  const tags = [...new Set(ROUTE_DOCS.map((r) => r.tag))].sort(
    (a, b) => FOLDER_ORDER.indexOf(a) - FOLDER_ORDER.indexOf(b),
  );
  const folders = tags.map((tag) => ({
    name: tag,
    item: ROUTE_DOCS.filter((r) => r.tag === tag && !CLEAN_UP.includes(r.summary)).map(item),
  }));
  const cleanUp = CLEAN_UP.map((summary) => item(ROUTE_DOCS.find((r) => r.summary === summary)!));
  return {
    info: {
      name: 'API Extractor',
      description:
        'Every route of the config API. Set `base_url` and `api_key` (the root key, or your own) first. Runs top to bottom: it sets a secret, creates, runs and previews a config, and deletes both at the end ("Clean up").',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item: [...folders, { name: 'Clean up', item: cleanUp }],
    variable: [
      { key: 'base_url', value: 'http://127.0.0.1:8080' },
      { key: 'api_key', value: '' },
      { key: 'config_id', value: '' },
      { key: 'extraction_id', value: '' },
      { key: 'run_id', value: '' },
      { key: 'download_token', value: '' },
      { key: 'run_status_tries', value: '0' },
      { key: 'key_name', value: 'juan' },
      { key: 'secret_name', value: 'zoho_refresh_token' },
    ],
  };
}
