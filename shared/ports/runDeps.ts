/**
 * What carrying out a run needs from the outside world, in process or in the pipeline;
 * the composition root supplies adapters.
 */
import type { ResponseBudget } from '../extract/responseBudget';
import type { ExecutionLogStore } from './executionLog';
import type { Clock, Logger } from './logger';
import type { RateBudgetStore } from './rateBudget';
import type { LastRecordStore, ObjectStore, ScratchSpace, SecretStore, TokenStore } from './storage';

export interface RunDeps {
  objects: ObjectStore;
  scratch: ScratchSpace;
  lastRecords: LastRecordStore;
  executionLogs: ExecutionLogStore;
  secrets: SecretStore;
  tokens?: TokenStore;
  logger: Logger;
  clock: Clock;
  /** `api-extractor-output-{stage}-{suffix}`: where an extraction without `s3_destiny.bucket` writes. */
  defaultBucket: string;
  /**
   * Buckets `s3_destiny.bucket` may name besides `defaultBucket` (`ALLOWED_OUTPUT_BUCKETS`);
   * undefined = any valid S3 bucket name.
   */
  allowedOutputBuckets?: readonly string[];
  /** Deployment-level: let configs reach link-local/metadata addresses (off by default). */
  allowLinkLocal?: boolean;
  /** Memory budget for response bodies; default the process-wide one (tests pass their own). */
  responseBudget?: ResponseBudget;
  /** Where upstreams' request budgets are shared between processes; default this process's memory. */
  rateBudgets?: RateBudgetStore;
}
