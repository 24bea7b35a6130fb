/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script, run by `npm run build` */
/**
 * Builds the dashboard into `dist/dashboard`: `dashboard/public` (the page and its CSS)
 * copied as is, and `dashboard/src/main.tsx` bundled by esbuild (Preact included) into
 * `assets/app.js`, so the page loads nothing from elsewhere at run time.
 */
const { cpSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'dashboard');

mkdirSync(out, { recursive: true });
cpSync(join(root, 'dashboard', 'public'), out, { recursive: true });
esbuild.buildSync({
  entryPoints: [join(root, 'dashboard', 'src', 'main.tsx')],
  outfile: join(out, 'assets', 'app.js'),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'iife',
  target: ['es2022'],
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(root, 'dashboard', 'tsconfig.json'),
  legalComments: 'linked',
  logLevel: 'warning',
});
