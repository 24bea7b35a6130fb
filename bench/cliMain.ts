/**
 * The `api-extractor` command's entry from the benchmark build (dist-bench), for the
 * `workload` case: what bin/api-extractor.js runs (services/cli/start.ts: one process,
 * compile cache, young generation capped from inside, modules loaded after that), with
 * no V8 flags of its own. At exit it prints one stderr line `BENCH_PROCESS {json}`: peak
 * RSS and CPU time.
 */
import { start } from '../services/cli/start';

process.on('exit', () => {
  const cpu = process.cpuUsage();
  const stats = {
    maxRssKb: process.resourceUsage().maxRSS,
    userCpuMs: cpu.user / 1000,
    systemCpuMs: cpu.system / 1000,
  };
  process.stderr.write(`BENCH_PROCESS ${JSON.stringify(stats)}\n`);
});

void start();
