/**
 * Runs configs through the real engine with the local adapters in a temporary data
 * directory, capturing logs. Used by the engine and CLI tests.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { parseConfig } from '../../shared/core/config/validate';
import { localEngineDeps } from '../../shared/adapters/local/engineDeps';
import type { RunDeps } from '../../shared/ports/runDeps';
import { runConfig, type RunOptions, type RunReport } from '../../shared/engine/runConfig';
import type { Logger } from '../../shared/ports/logger';
import type { ExecutionLog } from '../../shared/ports/executionLog';
import { listenLocal } from './listen';

export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface Harness {
  dataDir: string;
  deps: RunDeps;
  logLines: LogLine[];
  run(config: unknown, options?: RunOptions): Promise<RunReport>;
  /** The output file of a successful execution log, as text. */
  output(log: ExecutionLog): Promise<string>;
  /**
   * Every file under the data dir's objects folder (relative paths), temp files
   * included; not the owner records of `.owners/` (who wrote which object).
   */
  objectFiles(): Promise<string[]>;
  setSecrets(secrets: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function makeHarness(env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-test-'));
  const logLines: LogLine[] = [];
  const logger: Logger = {
    debug: (message, fields) => logLines.push({ level: 'debug', message, fields }),
    info: (message, fields) => logLines.push({ level: 'info', message, fields }),
    warn: (message, fields) => logLines.push({ level: 'warn', message, fields }),
    error: (message, fields) => logLines.push({ level: 'error', message, fields }),
  };
  const deps = localEngineDeps(dataDir, logger, env);
  const objectsDir = join(dataDir, 's3');
  return {
    dataDir,
    deps,
    logLines,
    run: (config, options) => runConfig(parseConfig(config), deps, options),
    async output(log) {
      if (!log.destiny) throw new Error(`no output file: ${JSON.stringify(log)}`);
      return readFile(join(objectsDir, log.destiny.replace(/^s3:\/\//, '')), 'utf8');
    },
    async objectFiles() {
      try {
        return (await readdir(objectsDir, { recursive: true, withFileTypes: true }))
          .filter((d) => d.isFile())
          .map((d) => join(d.parentPath, d.name).slice(objectsDir.length + 1))
          .filter((path) => !path.startsWith('.owners/'))
          .sort();
      } catch {
        return [];
      }
    },
    async setSecrets(secrets) {
      await writeFile(join(dataDir, 'secrets.json'), JSON.stringify(secrets));
    },
    close: () => rm(dataDir, { recursive: true, force: true }),
  };
}

export type Handler = (
  req: http.IncomingMessage,
  url: URL,
  body: string,
) =>
  | { status?: number; headers?: Record<string, string>; body?: unknown }
  | Promise<{ status?: number; headers?: Record<string, string>; body?: unknown }>;

/** A small ad-hoc upstream on 127.0.0.1 for cases the shared fake API does not model. */
export async function startServer(
  handler: Handler,
): Promise<{ url: string; requests: URL[]; close(): Promise<void> }> {
  const requests: URL[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      requests.push(url);
      Promise.resolve(handler(req, url, body)).then(
        (reply) => {
          const payload =
            reply.body === undefined
              ? ''
              : typeof reply.body === 'string'
                ? reply.body
                : JSON.stringify(reply.body);
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
    });
  });
  return { ...(await listenLocal(server)), requests };
}

/** Parses our own CSV output (RFC 4180) into rows of cells. */
export function parseCsv(text: string, separator = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === separator) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
