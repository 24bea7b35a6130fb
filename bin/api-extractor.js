#!/usr/bin/env node
'use strict';
// Compiled by `npm run build` (run by `npm ci` through the prepare script).
//
// The command runs in this process (services/cli/start.ts): no re-execution. V8's young
// generation, which would grow to 2 x 64 MiB on long runs, is capped at 2 x 8 MiB from
// inside the process (services/heap.ts; it used to take a second Node start
// with --max-semi-space-size=8), compiled code is cached in the OS temp dir between runs,
// and the command loads only what a run needs (docs/benchmarks.md, "Memory, start-up and
// latency floors").
require('../dist/services/cli/start.js').start();
