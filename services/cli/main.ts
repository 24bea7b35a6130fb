/**
 * `api-extractor`: the command line. `run` validates a config file and runs every
 * extraction in this process, writing `s3://bucket/key` to `<data-dir>/s3/bucket/key`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatIssue, validateConfig } from '../../shared/core/config/validate';
import type { ApiConfig } from '../../shared/core/config/types';
import { localEngineDeps, localLayout } from '../../shared/adapters/local/engineDeps';
import { extractionIdOf, extractionLabel } from '../../shared/core/ids';
import { runConfig } from '../../shared/engine/runConfig';
import { createLogger } from '../../shared/observability/logger';
import { EnvReader, installResponseBudget } from '../env';
import { ProgressLine } from './progress';

/** Exit codes: 0 success, 1 a run failed, 2 bad input (unreadable or invalid config). */
export const EXIT = { ok: 0, runFailed: 1, badInput: 2 } as const;

export class CliInputError extends Error {}

export async function loadConfigFile(path: string): Promise<ApiConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliInputError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliInputError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const result = validateConfig(json);
  if (!result.ok) {
    throw new CliInputError(
      `config file ${path} is invalid:\n${result.issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
    );
  }
  return result.config;
}

interface RunFlags {
  dataDir: string;
  only?: string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  progress: boolean;
  /** Extractions run at once, as given; default 1. */
  concurrency?: string;
}

/**
 * The positions `--only` selects. Each value is an extraction's id, else a name (every
 * extraction of that name: names may repeat), else a position from 1.
 */
export function selectExtractions(config: ApiConfig, only: readonly string[]): Set<number> {
  const selected = new Set<number>();
  const unknown: string[] = [];
  for (const value of only) {
    // The id a run logs (`extraction_id`): given in the config, or derived from it.
    const byId = config.extractions.findIndex((e) => extractionIdOf(config, e) === value);
    const byName = config.extractions.flatMap((e, i) => (e.name === value ? [i] : []));
    const position = /^[1-9]\d*$/.test(value) ? Number(value) - 1 : -1;
    if (byId >= 0) selected.add(byId);
    else if (byName.length > 0) for (const i of byName) selected.add(i);
    else if (position >= 0 && position < config.extractions.length) selected.add(position);
    else unknown.push(value);
  }
  if (unknown.length) {
    const count = config.extractions.length;
    throw new CliInputError(
      `--only names no extraction of this config: ${unknown.join(', ')} (give a name, an id or a position from 1 to ${count}; has: ${config.extractions.map((e) => e.name).join(', ')})`,
    );
  }
  return selected;
}

export async function runCommand(path: string, flags: RunFlags): Promise<number> {
  const concurrency = concurrencyOf(flags.concurrency);
  const config = await loadConfigFile(path);
  const read = new EnvReader(process.env);
  installResponseBudget(read);
  if (read.problems.length) throw new CliInputError(read.problems.join('; '));
  const only = flags.only?.length ? selectExtractions(config, flags.only) : undefined;
  const logger = createLogger({ level: flags.logLevel, pretty: Boolean(process.stderr.isTTY) });
  const deps = localEngineDeps(flags.dataDir, logger);
  const progress = flags.progress ? new ProgressLine(process.stderr) : undefined;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await runConfig(config, deps, {
      only,
      onProgress: (p) => progress?.update(p),
      signal: controller.signal,
      concurrency,
    });
    progress?.done();
    for (const log of report.logs) {
      process.stdout.write(JSON.stringify(log, null, 2) + '\n');
      const where = log.destiny
        ? ` -> ${log.destiny.replace(/^s3:\/\//, `${localLayout(flags.dataDir).objectsDir}/`)}`
        : '';
      const status =
        log.success === 'true' ? `ok, ${log.data_inserted_len} rows${where}` : `FAILED: ${log.error}`;
      const position = config.extractions.findIndex((e) => extractionIdOf(config, e) === log.extraction_id);
      process.stderr.write(`${extractionLabel(config, position)}: ${status}\n`);
    }
    return report.success ? EXIT.ok : EXIT.runFailed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The most extractions `--concurrency` runs at once: each holds its own connections and buffers. */
export const MAX_CONCURRENCY = 16;

/** `--concurrency`, checked as bad input (exit 2) like the config. */
function concurrencyOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_CONCURRENCY)
    throw new CliInputError(
      `--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (got "${value}")`,
    );
  return n;
}

function positiveList(value: string, previous: string[] = []): string[] {
  if (!value.trim()) throw new InvalidArgumentError('must not be empty');
  return [...previous, value];
}

/** This package's version, from the package.json above this file (built or not). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'api-extractor' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('api-extractor')
    .description('Extract data from REST APIs into CSV/JSON files.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError();
  const dataDir = new Option('--data-dir <dir>', 'where output files, state and secrets.json live').default(
    process.env.DATA_DIR || './.data',
  );
  program
    .command('run')
    .description('validate a config file and run every extraction in this process')
    .argument('<config>', 'path of the config JSON file')
    .addOption(dataDir)
    .option(
      '--only <extraction>',
      'run only this extraction: an id, a name (every extraction of that name) or a position from 1 (repeatable)',
      positiveList,
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('warn'),
    )
    .option('--no-progress', 'do not show the progress line')
    .option(
      '--concurrency <n>',
      `how many extractions run at once, 1 to ${MAX_CONCURRENCY} (default 1: one after another)`,
    )
    .action(async (path: string, flags: RunFlags) => {
      process.exitCode = await runCommand(path, flags);
    });
  program
    .command('validate')
    .description('validate a config file and print it with its defaults filled in')
    .argument('<config>', 'path of the config JSON file')
    .action(async (path: string) => {
      const config = await loadConfigFile(path);
      process.stdout.write(JSON.stringify(config, null, 2) + '\n');
    });
  program
    .command('demo')
    .description('run an example config against a built-in demo API on 127.0.0.1 (no network, no cloud)')
    .addOption(dataDir)
    .action(async (flags: { dataDir: string }) => {
      // Loaded for this command only: a run never starts the demo's API server.
      const { runDemo } = await import('./demo');
      process.exitCode = await runDemo(flags.dataDir, (path, dir) =>
        runCommand(path, { dataDir: dir, logLevel: 'warn', progress: true }),
      );
    });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CliInputError) {
      process.stderr.write(`api-extractor: ${err.message}\n`);
      process.exitCode = EXIT.badInput;
      return;
    }
    process.stderr.write(`api-extractor: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = EXIT.runFailed;
  }
}
