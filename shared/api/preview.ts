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
import { errorMessage } from '../core/errors';
import { setOwnProperty } from '../core/objects';
import type { Redactor } from '../core/redact';
import type { Row } from '../core/rowMapping';
import { compileTransformations } from '../core/transformations';
import { Semaphore } from '../extract/concurrency';
import { applyDetails, fetchDetails, RunSession } from '../extract/extractionKit';
import type { RunDeps } from '../ports/runDeps';

export type PreviewDeps = Pick<
  RunDeps,
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

export async function previewConfig(
  config: ApiConfig,
  deps: PreviewDeps,
  options: PreviewOptions,
): Promise<ExtractionPreview[]> {
  const positions = [...config.extractions.keys()].filter((i) => {
    const e = config.extractions[i]!;
    return options.extraction === undefined || e.id === options.extraction || e.name === options.extraction;
  });
  // No token store: a preview must not leave a token behind.
  const session = await RunSession.open(config, deps, { runId: 'preview', preview: true });
  const failed = (extraction: Extraction, err: unknown): ExtractionPreview => ({
    extraction_id: extraction.id ?? null,
    extraction_name: extraction.name,
    ok: false,
    error: session.redactor.redact(errorMessage(err)),
  });
  try {
    try {
      await session.start();
    } catch (err) {
      return positions.map((i) => failed(config.extractions[i]!, err));
    }
    const results: ExtractionPreview[] = [];
    for (const position of positions) {
      try {
        results.push(await previewExtraction(session, position, deps, options));
      } catch (err) {
        results.push(failed(config.extractions[position]!, err));
      }
    }
    return results;
  } finally {
    await session.close();
  }
}

async function previewExtraction(
  session: RunSession,
  position: number,
  deps: PreviewDeps,
  options: PreviewOptions,
): Promise<ExtractionPreview> {
  const extraction = session.config.extractions[position]!;
  const previousLast = extraction.id === undefined ? undefined : await deps.lastRecords.get(extraction.id);
  const { paginator, fetcher, mapper, details } = session.extraction(position, previousLast);
  const cursor = paginator.first();
  const page = await fetcher.fetch(cursor);
  const decision = paginator.decide(cursor, page);
  const raw = page.records.slice(0, options.limit);
  let rows = raw.map((record) => mapper.map(record));
  if (details) {
    const slots = new Semaphore(extraction.mapping_fetch!.concurrency);
    applyDetails(rows, await fetchDetails(details, rows, raw, slots), () => undefined);
  }
  const transform = compileTransformations(extraction.transformations);
  const redactor = session.redactor;
  // A row holding a secret in any form is not transformed: see the module comment.
  rows = rows.map((row) => (redactor.mentions(row) ? row : transform(row)));
  return {
    extraction_id: extraction.id ?? null,
    extraction_name: extraction.name,
    ok: true,
    status: page.status,
    records_on_page: page.records.length,
    more_pages: !decision.last,
    columns: columnsOf(mapper.columns, rows),
    rows: rows.map((row) => maskRow(redactor, row)),
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
