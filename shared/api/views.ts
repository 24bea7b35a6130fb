/**
 * The JSON the API answers with, built from stored records. Configs come back as
 * they were saved: JSON text parsed as is, so key order is the user's and
 * `${secret::…}` references stay references.
 */
import { fillDefaultBucket } from '../core/config/validate';
import { formatLogTimestamp } from '../core/time';
import type { ConfigVersion } from '../ports/configs';
import type { ExtractionRunState, RunRecord } from '../ports/runs';

export type JsonObject = Record<string, unknown>;

/**
 * The config of a version as saved, with the default bucket filled in where a version
 * saved before the default was stored names none.
 */
export function configDocument(version: ConfigVersion, defaultBucket: string): JsonObject {
  const document = JSON.parse(version.json) as JsonObject;
  fillDefaultBucket(document, defaultBucket);
  return document;
}

/**
 * A history item, shaped as the original tool's: the config as saved, `updated_at`,
 * `api_key` holding the key's *name* (the original's field; `api_key_name` says it
 * plainly), and `delete` on deletions.
 */
export function historyItem(version: ConfigVersion, defaultBucket: string): JsonObject {
  return {
    ...configDocument(version, defaultBucket),
    updated_at: formatLogTimestamp(new Date(version.updatedAt)),
    api_key: version.updatedBy,
    api_key_name: version.updatedBy,
    version: version.version,
    ...(version.deleted ? { delete: true } : {}),
  };
}

function extractionNames(run: RunRecord): Map<string, string> {
  const names = new Map<string, string>();
  try {
    const config = JSON.parse(run.configJson) as { extractions?: Array<{ name?: unknown }> };
    run.extractionIds.forEach((id, i) => {
      const name = config.extractions?.[i]?.name;
      if (typeof name === 'string') names.set(id, name);
    });
  } catch {
    // A snapshot that does not parse only costs the names.
  }
  return names;
}

/** A run without its per-extraction detail (lists). */
export function runSummary(run: RunRecord): JsonObject {
  return {
    run_id: run.runId,
    config_id: run.configId,
    config_name: run.configName,
    trigger: run.trigger,
    status: run.status,
    error: run.error ?? null,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    finished_at: run.finishedAt ?? null,
    extraction_ids: run.extractionIds,
    counters: run.counters,
  };
}

/** A run with live progress per extraction (the config snapshot and `last` records stay inside). */
export function runStatus(run: RunRecord, states: Array<ExtractionRunState | undefined>): JsonObject {
  const names = extractionNames(run);
  return {
    ...runSummary(run),
    extractions: run.extractionIds.map((id, i) => {
      const state = states[i];
      return {
        extraction_id: id,
        extraction_name: names.get(id) ?? null,
        status: state?.status ?? 'unknown',
        pages_done: state?.pagesDone ?? 0,
        // Known once a page said "no more": then progress is pages_done / pages_total.
        pages_total: state?.endIndex === undefined ? null : state.endIndex + 1,
        failed_page: state?.failedPage ?? null,
        // This extraction's share of the run's counters (null until something is counted).
        counters: state?.counters ?? null,
        log: state?.log ?? null,
      };
    }),
  };
}
