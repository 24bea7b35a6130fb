/** What the engine needs from the outside world; the composition root supplies adapters. */
import type { ExecutionLogStore } from '../ports/executionLog';
import type { Clock, Logger } from '../ports/logger';
import type { LastRecordStore, ObjectStore, ScratchSpace, SecretStore, TokenStore } from '../ports/storage';

export interface EngineDeps {
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
}
