/**
 * One engine run against the large-body upstream of bench/largeBodies.ts, in a fresh
 * process so its peak RSS is its own:
 *
 *   node dist-bench/bench/largeBodyRun.js --url http://127.0.0.1:PORT/huge --pages-in-flight 8 --data-dir DIR
 *
 * The response budget is the process default (or RESPONSE_MEMORY_BUDGET_MB /
 * RESPONSE_MAX_BODY_MB). Prints one JSON line ({@link LargeBodyResult}).
 */
import { localEngineDeps } from '../shared/adapters/local/engineDeps';
import { parseConfig } from '../shared/core/config/validate';
import { runConfig } from '../shared/engine/runConfig';
import { silentLogger } from '../shared/ports/logger';
import type { LargeBodyResult } from './largeBodies';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string): string => {
    const at = argv.indexOf(`--${name}`);
    const value = at >= 0 ? argv[at + 1] : undefined;
    if (value === undefined) throw new Error(`--${name} is required`);
    return value;
  };
  const config = parseConfig({
    name: 'large bodies',
    extractions: [
      {
        name: 'huge',
        endpoint: { url: arg('url') },
        data_key: 'data',
        pagination: {
          type: 'sequential',
          parameters: { param_name: 'page', pages_in_flight: Number(arg('pages-in-flight')) },
        },
        http: { max_attempts: 1 },
      },
    ],
  });
  const deps = localEngineDeps(arg('data-dir'), silentLogger, {});
  const startRssKb = Math.round(process.memoryUsage().rss / 1024);
  const started = process.hrtime.bigint();
  const report = await runConfig(config, deps);
  const log = report.logs[0];
  const result: LargeBodyResult = {
    success: report.success,
    error: log?.error ?? null,
    requests: log?.requests ?? 0,
    wallMs: Number(process.hrtime.bigint() - started) / 1e6,
    maxRssKb: process.resourceUsage().maxRSS,
    startRssKb,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `largeBodyRun: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 2;
});
