/**
 * One AWS emulator per test file: started before the file's tests (moto on a free
 * port, or the developer's AWS_ENDPOINT_URL), its settings applied to this process's
 * environment, and everything undone after them.
 */
import { applyEnv, type MotoServer, startMoto } from '../support/moto';

export function useMoto(): Pick<MotoServer, 'env' | 'endpoint'> {
  let server: MotoServer | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    server = await startMoto();
    restoreEnv = applyEnv(server.env);
  }, 120_000);
  afterAll(async () => {
    restoreEnv?.();
    await server?.stop();
  });
  const started = (): MotoServer => {
    if (!server) throw new Error('moto is not started: use it inside a test or hook');
    return server;
  };
  return {
    get env() {
      return started().env;
    },
    get endpoint() {
      return started().endpoint;
    },
  };
}
