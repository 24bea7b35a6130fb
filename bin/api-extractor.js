#!/usr/bin/env node
'use strict';
// Compiled by `npm run build` (run by `npm ci` through the prepare script).
require('../dist/services/cli/main.js').main();
