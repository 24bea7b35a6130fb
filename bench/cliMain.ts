/**
 * The `api-extractor` command's entry from the benchmark build (dist-bench), for the
 * `workload` case: what bin/api-extractor.js runs once it has re-executed Node with its
 * memory flag (the bench passes that flag itself, so there is no re-execution here).
 * At exit it prints one stderr line `BENCH_PROCESS {json}`: peak RSS and CPU time.
 */
import { main } from '../services/cli/main';

process.on('exit', () => {
  const cpu = process.cpuUsage();
  const stats = {
    maxRssKb: process.resourceUsage().maxRSS,
    userCpuMs: cpu.user / 1000,
    systemCpuMs: cpu.system / 1000,
  };
  process.stderr.write(`BENCH_PROCESS ${JSON.stringify(stats)}\n`);
});

void main();
