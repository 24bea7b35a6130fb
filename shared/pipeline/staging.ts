/**
 * The staging area between the stages: where the page-fetcher leaves a page's records
 * and the detail-mapper a chunk's details, for the writer to read, and the shape of
 * what is staged. One prefix per run and extraction; indexes are zero-padded so a
 * listing sorts by page.
 */
import { parseJsonKeepingOrder, stringifyRecords } from '../core/orderedJson';
import type { DetailOutcome } from '../extract/detailFetcher';
import { detailWarning } from '../extract/extractionKit';
import type { PipelineDeps } from './deps';

export const staging = {
  prefix: (runId: string, extractionId: string): string =>
    `runs/${runId}/${encodeURIComponent(extractionId)}/`,
  page: (runId: string, extractionId: string, index: number): string =>
    `${staging.prefix(runId, extractionId)}page-${String(index).padStart(8, '0')}.json`,
  detailsPrefix: (runId: string, extractionId: string, index: number): string =>
    `${staging.prefix(runId, extractionId)}page-${String(index).padStart(8, '0')}.details-`,
  details: (runId: string, extractionId: string, index: number, chunk: number): string =>
    `${staging.detailsPrefix(runId, extractionId, index)}${String(chunk).padStart(5, '0')}.json`,
  /** Marks a request a following pagination made (by digest); holds the page index. */
  request: (runId: string, extractionId: string, digest: string): string =>
    `${staging.prefix(runId, extractionId)}requests/${digest}`,
  /** A value the writer decides once per run and extraction (see OutputTarget.settle). */
  settled: (runId: string, extractionId: string, name: string): string =>
    `${staging.prefix(runId, extractionId)}settled/${encodeURIComponent(name)}`,
};

/** What is staged per row of a detail chunk: the detail columns, or the warning of a row kept without. */
export type StagedDetail = { columns: Record<string, unknown> } | { warning: string };

/** The staged form of a chunk's detail outcomes. */
export function stageDetails(outcomes: readonly DetailOutcome[]): StagedDetail[] {
  return outcomes.map((o) => (o.found ? { columns: o.columns } : { warning: detailWarning(o.reason) }));
}

/**
 * A staged detail chunk, as {@link stageDetails} wrote it. Anything else (a chunk staged
 * by another version, a damaged object) is refused rather than read as rows without details.
 */
export function parseStagedDetails(body: Buffer): StagedDetail[] {
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (!Array.isArray(parsed) || !parsed.every(isStagedDetail))
    throw new Error("a staged detail chunk is not in this version's format (staged by another version?)");
  return parsed;
}

function isStagedDetail(value: unknown): value is StagedDetail {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  if ('columns' in entry) return typeof entry.columns === 'object' && entry.columns !== null;
  return typeof entry.warning === 'string';
}

/** Stages a page's records (JSON text, the upstream's key order kept). */
export async function stagePage(
  deps: PipelineDeps,
  runId: string,
  extractionId: string,
  index: number,
  records: readonly unknown[],
): Promise<void> {
  await deps.objects.put(deps.stagingBucket, staging.page(runId, extractionId, index), [
    stringifyRecords(records),
  ]);
}

/** A staged page's records; `keepOrder` (no data_schema) as {@link parseJsonKeepingOrder} reads them. */
export async function readStagedPage(
  deps: PipelineDeps,
  runId: string,
  extractionId: string,
  index: number,
  keepOrder: boolean,
): Promise<unknown[]> {
  const body = await deps.objects.get(deps.stagingBucket, staging.page(runId, extractionId, index));
  if (!body) throw new Error(`staged page ${index} of ${extractionId} in run ${runId} is missing`);
  const text = body.toString('utf8');
  return (keepOrder ? parseJsonKeepingOrder(text) : JSON.parse(text)) as unknown[];
}
