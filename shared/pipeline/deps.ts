/** What the pipeline handlers need; each service's composition root supplies adapters. */
import type { RunDeps } from '../ports/runDeps';
import type { QueueBroker } from '../ports/queue';
import type { RunStore } from '../ports/runs';
import type { TokenStore } from '../ports/storage';

export interface PipelineDeps extends RunDeps {
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
