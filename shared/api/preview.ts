/**
 * Preview: the first page of each extraction, through the same token manager,
 * fetcher, paginator, row mapper, detail fetcher and transformations a run uses,
 * with nothing written (no run, no token stored, no file, no `last`).
 *
 * Secrets are resolved for the requests, kept on their origins as in a run, and
 * every string that comes back passes through the run's redactor, so a secret or
 * token echoed by the upstream shows as `***`. Transformations could turn an echoed
 * secret into a form the redactor does not know (`upper`, `slice`, `split`), so a row
 * whose cells hold a secret in any form the redactor detects (another letter case,
 * URL- or base64-encoded) is shown untransformed, and masked; after the
 * transformations, any cell that still holds a detectable form is masked whole.
 * Retries are capped: a preview answers a person waiting on it.
 */
import type { ApiConfig, Extraction } from '../core/config/types';
import { setOwnProperty } from '../core/objects';
import { Redactor } from '../core/redact';
import { compileRecordMapper, type Row } from '../core/rowMapping';
import { compileTransformations } from '../core/transformations';
import { Semaphore } from '../engine/concurrency';
import type { EngineDeps } from '../engine/deps';
import { errorMessage } from '../engine/executionLog';
import { referenceLookup } from '../engine/lookup';
import { loadSecrets, secretScope } from '../engine/secrets';
import type { SecretScope } from '../core/secretOrigins';
import { AuthenticatedClient, TokenManager } from '../extract/auth';
import { createExtractionHttp } from '../extract/clientFactory';
import { DetailFetcher } from '../extract/detailFetcher';
import { HttpTransport, RetryingClient } from '../extract/http';
import { PageFetcher } from '../extract/pageFetcher';
import { createPaginator } from '../extract/pagination';

export type PreviewDeps = Pick<
  EngineDeps,
  'secrets' | 'lastRecords' | 'clock' | 'allowLinkLocal' | 'responseBudget'
>;

export interface PreviewOptions {
  /** Rows returned per extraction (the page may hold more). */
  limit: number;
  /** Only the extraction with this id or name. */
  extraction?: string;
}

export interface ExtractionPreview {
  extraction_id: string | null;
  extraction_name: string;
  ok: boolean;
  /** Why the first page could not be previewed (redacted). */
  error?: string;
  /** HTTP status of the first page. */
  status?: number;
  /** Records on the first page, before `limit`. */
  records_on_page?: number;
  /** Whether pagination would go on after this page. */
  more_pages?: boolean;
  columns?: string[];
  rows?: Row[];
}

/** Attempts and timeout for preview requests, whatever the extraction says. */
const PREVIEW_MAX_ATTEMPTS = 2;
const PREVIEW_TIMEOUT_MS = 15_000;

export async function previewConfig(
  config: ApiConfig,
  deps: PreviewDeps,
  options: PreviewOptions,
): Promise<ExtractionPreview[]> {
  const extractions = config.extractions.filter(
    (e) => options.extraction === undefined || e.id === options.extraction || e.name === options.extraction,
  );
  const redactor = new Redactor();
  const loaded = await loadSecrets(deps.secrets);
  const secrets = loaded.values;
  redactor.addAll(secrets);
  const scope = secretScope(config, loaded);
  const transports: HttpTransport[] = [];
  const tokenTransport = new HttpTransport({
    connectTimeoutMs: 10_000,
    allowLinkLocal: deps.allowLinkLocal,
    budget: deps.responseBudget,
  });
  transports.push(tokenTransport);
  const tokens: TokenManager = new TokenManager({
    auth: config.auth,
    lookup: referenceLookup({ config, secrets, previousLast: undefined, token: () => tokens.current() }),
    scope,
    client: new RetryingClient(tokenTransport, {
      maxAttempts: PREVIEW_MAX_ATTEMPTS,
      backoffBaseMs: 200,
      backoffMaxMs: 2_000,
      timeoutMs: PREVIEW_TIMEOUT_MS,
    }),
    redactor,
    clock: deps.clock,
    // No store: a preview must not leave a token behind.
    store: undefined,
    tokenKey: 'preview',
  });
  const failed = (extraction: Extraction, err: unknown): ExtractionPreview => ({
    extraction_id: extraction.id ?? null,
    extraction_name: extraction.name,
    ok: false,
    error: redactor.redact(errorMessage(err)),
  });
  try {
    try {
      scope.assertConfig();
      await tokens.start();
    } catch (err) {
      return extractions.map((e) => failed(e, err));
    }
    const results: ExtractionPreview[] = [];
    for (const extraction of extractions) {
      try {
        results.push(
          await previewExtraction(
            config,
            extraction,
            { deps, secrets, scope, tokens, redactor, transports },
            options,
          ),
        );
      } catch (err) {
        results.push(failed(extraction, err));
      }
    }
    return results;
  } finally {
    await Promise.allSettled(transports.map((t) => t.close()));
  }
}

interface PreviewContext {
  deps: PreviewDeps;
  secrets: Record<string, unknown>;
  scope: SecretScope;
  tokens: TokenManager;
  redactor: Redactor;
  transports: HttpTransport[];
}

async function previewExtraction(
  config: ApiConfig,
  extraction: Extraction,
  ctx: PreviewContext,
  options: PreviewOptions,
): Promise<ExtractionPreview> {
  const http = {
    ...extraction.http,
    max_attempts: Math.min(extraction.http.max_attempts, PREVIEW_MAX_ATTEMPTS),
    timeout_ms: Math.min(extraction.http.timeout_ms, PREVIEW_TIMEOUT_MS),
    request_timeout_ms: Math.min(extraction.http.request_timeout_ms, 2 * PREVIEW_TIMEOUT_MS),
  };
  const { transport, client } = createExtractionHttp(http, {
    allowLinkLocal: ctx.deps.allowLinkLocal,
    budget: ctx.deps.responseBudget,
  });
  ctx.transports.push(transport);
  const authed = new AuthenticatedClient(client, ctx.tokens);
  const previousLast =
    extraction.id === undefined ? undefined : await ctx.deps.lastRecords.get(extraction.id);
  const lookup = referenceLookup({
    config,
    secrets: ctx.secrets,
    previousLast,
    token: () => ctx.tokens.current(),
  });
  const paginator = createPaginator(extraction.pagination);
  const cursor = paginator.first();
  const position = config.extractions.indexOf(extraction);
  const page = await new PageFetcher(extraction, authed, lookup, ctx.scope, position).fetch(cursor);
  const decision = paginator.decide(cursor, page);
  const mapper = compileRecordMapper(extraction);
  const raw = page.records.slice(0, options.limit);
  let rows = raw.map((record) => mapper.map(record));
  if (extraction.mapping_fetch) {
    const details = new DetailFetcher(
      extraction.mapping_fetch,
      authed,
      lookup,
      ctx.scope,
      extraction.format === 'csv',
      `extractions[${position}].mapping_fetch`,
    );
    const slots = new Semaphore(extraction.mapping_fetch.concurrency);
    rows = await Promise.all(
      rows.map((row, i) =>
        slots.run(async () => {
          const outcome = await details.fetch(row, raw[i]);
          return outcome.found ? { ...row, ...outcome.columns } : row;
        }),
      ),
    );
  }
  const transform = compileTransformations(extraction.transformations);
  // A row holding a secret in any form is not transformed: see the module comment.
  rows = rows.map((row) => (ctx.redactor.mentions(row) ? row : transform(row)));
  return {
    extraction_id: extraction.id ?? null,
    extraction_name: extraction.name,
    ok: true,
    status: page.status,
    records_on_page: page.records.length,
    more_pages: !decision.last,
    columns: columnsOf(mapper.columns, rows),
    rows: rows.map((row) => maskRow(ctx.redactor, row)),
  };
}

/** Redacts every cell, then masks whole any cell that still holds a secret in another form. */
function maskRow(redactor: Redactor, row: Row): Row {
  const out: Row = {};
  for (const [column, value] of Object.entries(redactor.redactDeep(row))) {
    setOwnProperty(out, column, redactor.mentions(value) ? '***' : value);
  }
  return out;
}

/** The schema's columns, then any other column in first-seen order (as the CSV header is built). */
function columnsOf(known: readonly string[] | undefined, rows: Row[]): string[] {
  const columns = new Set<string>(known ?? []);
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}
