/**
 * Structured logs with winston: JSON lines (or a compact human form on a
 * terminal), to stderr so stdout stays for results.
 *
 * winston (about 80 modules with logform and its transports) is loaded by the first
 * line the level lets through, not when the logger is made: a CLI run at its default
 * level (warn) that has nothing to warn about never loads it (docs/benchmarks.md,
 * "Start-up: what a run loads before its first request"). The lines are winston's own.
 */
import type * as Winston from 'winston';
import type { Logger } from '../ports/logger';

export interface LoggerOptions {
  level?: 'debug' | 'info' | 'warn' | 'error';
  /** Human-readable lines instead of JSON. */
  pretty?: boolean;
  service?: string;
}

type Level = NonNullable<LoggerOptions['level']>;

/** winston's (npm) severities for the levels the port has: lower is more severe. */
const SEVERITY: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 5 };

function winstonLogger(options: LoggerOptions): Winston.Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by the first line written
  const winston = require('winston') as typeof Winston;
  const format = options.pretty
    ? winston.format.combine(
        winston.format.timestamp(),
        winston.format.printf(({ level, message, timestamp, ...fields }) => {
          const extra = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    defaultMeta: options.service ? { service: options.service } : undefined,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  let logger: Winston.Logger | undefined;
  const at =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (SEVERITY[level] > threshold) return;
      logger ??= winstonLogger(options);
      logger[level](message, fields);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
