/** What the pipeline handlers need; each service's composition root supplies adapters. */
import type { EngineDeps } from '../engine/deps';
import type { QueueBroker } from '../ports/queue';
import type { RunStore } from '../ports/runs';
import type { TokenStore } from '../ports/storage';

export interface PipelineDeps extends EngineDeps {
  runs: RunStore;
  queues: QueueBroker;
  tokens: TokenStore;
  /** Where pages and detail chunks are staged between stages. */
  stagingBucket: string;
  /** Rows per detail task. */
  detailChunkSize: number;
  /** Receives before a message is dead-lettered; the last one marks its run failed with the cause. */
  maxReceiveCount: number;
}

/** Staging keys: one prefix per run and extraction, zero-padded so listing sorts by page. */
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
};
