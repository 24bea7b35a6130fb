/* eslint-disable @typescript-eslint/no-require-imports -- a plain script of the compiled code */
/**
 * A worker process of test/integration/sharedBudgets.test.ts, on the compiled code
 * (`dist/`, or `$DIST`) and the AWS emulator of its environment (the state table
 * `$STATE_TABLE`). Prints one JSON line with what it did. Modes (`$MODE`):
 *
 * - `budget`: `$REQUESTS` detail requests of the config `$CONFIG` (JSON), 8 at a time,
 *   through the DynamoDB-backed budgets;
 * - `refresh`: `$REFRESHERS` sessions of run `$RUN_ID` of `$CONFIG`, each taking the
 *   run's token from the store and recovering from a 401 with `$STALE` at the same time.
 */
const path = require('node:path');

const dist = process.env.DIST || path.join(__dirname, '../../dist');
const load = (file) => require(path.join(dist, file));
const { createAwsClients, awsSettingsFromEnv, destroyAwsClients } = load('shared/adapters/aws/config');
const { DynamoTokenStore } = load('shared/adapters/aws/dynamoStateStores');
const { parseConfig } = load('shared/core/config/validate');
const { Semaphore } = load('shared/extract/concurrency');
const { fetchDetails, RunSession } = load('shared/extract/extractionKit');
const { systemClock } = load('shared/ports/logger');

async function main() {
  const env = process.env;
  const clients = createAwsClients(awsSettingsFromEnv(env));
  const config = parseConfig(JSON.parse(env.CONFIG));
  const deps = { secrets: { getAll: async () => ({}) }, clock: systemClock };
  try {
    if (env.MODE === 'budget') {
      // A build from before the shared budgets (to see the test fail) has no such store.
      if (require('node:fs').existsSync(path.join(dist, 'shared/adapters/aws/dynamoRateBudgetStore.js'))) {
        const { DynamoRateBudgetStore } = load('shared/adapters/aws/dynamoRateBudgetStore');
        deps.rateBudgets = new DynamoRateBudgetStore(clients.documents, env.STATE_TABLE);
      }
      const session = await RunSession.open(config, deps, { runId: env.RUN_ID });
      const kit = session.extraction(0, undefined);
      const base = Number(env.FIRST_ID);
      const rows = Array.from({ length: Number(env.REQUESTS) }, (_, i) => ({ id: base + i }));
      const outcomes = await fetchDetails(kit.details, rows, rows, new Semaphore(8));
      await session.close();
      process.stdout.write(`${JSON.stringify({ found: outcomes.filter((o) => o.found).length })}\n`);
    } else {
      const tokenStore = new DynamoTokenStore(clients.documents, env.STATE_TABLE);
      const sessions = await Promise.all(
        Array.from({ length: Number(env.REFRESHERS) }, () =>
          RunSession.open(config, deps, { runId: env.RUN_ID, tokenStore }),
        ),
      );
      await Promise.all(sessions.map((s) => s.tokens.resume()));
      const retried = await Promise.all(sessions.map((s) => s.tokens.recoverFrom401(env.STALE)));
      const tokens = sessions.map((s) => s.tokens.current());
      await Promise.all(sessions.map((s) => s.close()));
      process.stdout.write(`${JSON.stringify({ retried, tokens })}\n`);
    }
  } finally {
    destroyAwsClients(clients);
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
