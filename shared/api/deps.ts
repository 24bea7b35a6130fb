/** What the config API needs; the composition root supplies the adapters. */
import type { ApiConfig } from '../core/config/types';
import type { PipelineDeps } from '../pipeline/deps';
import type { StartOptions } from '../pipeline/stages';
import type { ApiKeyRepository } from '../ports/apiKeys';
import type { ConfigRepository } from '../ports/configs';
import type { RunRecord } from '../ports/runs';
import type { SecretAdmin } from '../ports/secrets';
import type { DownloadLinks } from './downloads';
import type { RootKeySource } from './rootKey';

export type StartRun = (config: ApiConfig, deps: PipelineDeps, options: StartOptions) => Promise<RunRecord>;

export interface ApiDeps {
  /** The pipeline's deps: runs, execution logs, `last` records, secrets, logger, clock. */
  pipeline: PipelineDeps;
  configs: ConfigRepository;
  apiKeys: ApiKeyRepository;
  secretAdmin: SecretAdmin;
  /** Starts a run; default: the pipeline's `startRun`. */
  startRun?: StartRun;
  /**
   * `execute` answers when the run is recorded and queued, or after this many
   * milliseconds (a slow token endpoint), whichever comes first. Default 2000.
   */
  executeWaitMs?: number;
  /**
   * Where the root key came from at start-up (the `source` `ensureRootKey` answered). With
   * `environment`, `ROOT_API_KEY` resets the root key at every start, so rotating it
   * through the API is refused (409) rather than undone at the next restart.
   * Default: stored (rotation allowed).
   */
  rootKeySource?: RootKeySource;
  /**
   * Links to output files (S3 presigned URLs on AWS). Default: links this API signs
   * and serves itself from the pipeline's object store (`/downloads/{token}`).
   */
  downloadLinks?: DownloadLinks;
  /** The built dashboard (`index.html`, `assets/`). Default: `dist/dashboard` beside the API. */
  dashboardDir?: string;
  /** Largest accepted request body, as body-parser reads it. Default `1mb`. */
  bodyLimit?: string;
}
