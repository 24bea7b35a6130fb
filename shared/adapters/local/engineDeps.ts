/** Composition of the local (no cloud) adapters for a data directory. */
import { join, resolve } from 'node:path';
import type { RunDeps } from '../../ports/runDeps';
import { systemClock, type Logger } from '../../ports/logger';
import { FileObjectStore } from './objectStore';
import { LocalScratchSpace } from './scratch';
import { FileExecutionLogStore, FileLastRecordStore, FileSecretStore, MemoryTokenStore } from './state';

export interface LocalLayout {
  dataDir: string;
  /** `<data-dir>/s3/<bucket>/<key>` */
  objectsDir: string;
  secretsFile: string;
}

export function localLayout(dataDir: string): LocalLayout {
  const root = resolve(dataDir);
  return { dataDir: root, objectsDir: join(root, 's3'), secretsFile: join(root, 'secrets.json') };
}

export function defaultOutputBucket(env: NodeJS.ProcessEnv = process.env): string {
  return `api-extractor-output-${env.STAGE || 'local'}-${env.DEFAULT_OUTPUT_BUCKET_SUFFIX || '1'}`;
}

export function localEngineDeps(
  dataDir: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): RunDeps {
  const layout = localLayout(dataDir);
  return {
    objects: new FileObjectStore(layout.objectsDir),
    scratch: new LocalScratchSpace(join(layout.dataDir, 'tmp')),
    lastRecords: new FileLastRecordStore(join(layout.dataDir, 'state', 'last')),
    executionLogs: new FileExecutionLogStore(join(layout.dataDir, 'logs')),
    secrets: new FileSecretStore(layout.secretsFile),
    tokens: new MemoryTokenStore(),
    logger,
    clock: systemClock,
    defaultBucket: defaultOutputBucket(env),
    allowLinkLocal: env.ALLOW_LINK_LOCAL_REQUESTS === 'true',
  };
}
