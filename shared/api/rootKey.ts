/**
 * The root key, created at start-up by the composition root: taken from
 * `$ROOT_API_KEY` when set (so a deployment controls it), otherwise generated on the
 * first start and printed once. Later starts find it stored (hashed) and print
 * nothing: a lost root key is replaced by setting `$ROOT_API_KEY`.
 */
import { ApiKeyExistsError, type ApiKeyRepository } from '../ports/apiKeys';

/** The root key's name, as in the original tool (`rootkey` in its key secret). */
export const ROOT_KEY_NAME = 'rootkey';

/** Shortest `$ROOT_API_KEY` accepted: a guessable root key would open every config and secret. */
export const MIN_ROOT_KEY_LENGTH = 24;

export type RootKeySource = 'environment' | 'existing' | 'generated';

export interface RootKeyResult {
  name: string;
  source: RootKeySource;
}

export class RootKeySettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RootKeySettingsError';
  }
}

/**
 * @example
 * await ensureRootKey(stores.apiKeys, process.env, (line) => process.stdout.write(`${line}\n`));
 */
export async function ensureRootKey(
  repo: ApiKeyRepository,
  env: NodeJS.ProcessEnv,
  print: (message: string) => void,
): Promise<RootKeyResult> {
  const fromEnv = env.ROOT_API_KEY?.trim();
  if (fromEnv) {
    if (fromEnv.length < MIN_ROOT_KEY_LENGTH) {
      throw new RootKeySettingsError(`ROOT_API_KEY must be at least ${MIN_ROOT_KEY_LENGTH} characters long`);
    }
    const root = await repo.findRoot();
    if (!root) {
      await createOrAdopt(repo, () => repo.create(ROOT_KEY_NAME, { root: true, apiKey: fromEnv }));
      return { name: ROOT_KEY_NAME, source: 'environment' };
    }
    const owner = await repo.findByKey(fromEnv);
    if (owner?.name !== root.name) await repo.refresh(root.name, fromEnv);
    return { name: root.name, source: 'environment' };
  }
  const root = await repo.findRoot();
  if (root) return { name: root.name, source: 'existing' };
  let generated: string | undefined;
  await createOrAdopt(repo, async () => {
    generated = (await repo.create(ROOT_KEY_NAME, { root: true })).apiKey;
  });
  if (generated === undefined) return { name: ROOT_KEY_NAME, source: 'existing' };
  print(`Root API key (shown once; store it now, only its hash is kept): ${generated}`);
  return { name: ROOT_KEY_NAME, source: 'generated' };
}

/** Another replica starting at the same moment may create the root key first: that is fine. */
async function createOrAdopt(repo: ApiKeyRepository, create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ApiKeyExistsError) || !(await repo.findRoot())) throw err;
  }
}
