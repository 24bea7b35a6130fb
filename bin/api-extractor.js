#!/usr/bin/env node
'use strict';
// Compiled by `npm run build` (run by `npm ci` through the prepare script).
//
// V8 grows its young generation to 2 x 64 MiB under a steady allocation rate, which
// is most of the engine's peak memory on long runs; capped at 8 MiB, peak memory at
// 1M rows drops from ~300 to ~165 MiB and stays within 1.15x of a 100k-row run, for
// about 5% of throughput (docs/benchmarks.md). V8 reads the flag only at start-up,
// so the command re-executes itself once with it, forwarding signals to the child.
const FLAG = '--max-semi-space-size=8';
if (process.execArgv.includes(FLAG)) {
  require('../dist/services/cli/main.js').main();
} else {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [FLAG, ...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`api-extractor: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) =>
    process.exit(code ?? (signal ? 128 + require('node:os').constants.signals[signal] : 1)),
  );
}
