/**
 * Structured logs with winston: JSON lines (or a compact human form on a
 * terminal), to stderr so stdout stays for results.
 */
import winston from 'winston';
import type { Logger } from '../ports/logger';

export interface LoggerOptions {
  level?: 'debug' | 'info' | 'warn' | 'error';
  /** Human-readable lines instead of JSON. */
  pretty?: boolean;
  service?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.pretty
    ? winston.format.combine(
        winston.format.timestamp(),
        winston.format.printf(({ level, message, timestamp, ...fields }) => {
          const extra = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
          return `${String(timestamp)} ${level} ${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(winston.format.timestamp(), winston.format.json());
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    format,
    defaultMeta: options.service ? { service: options.service } : undefined,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return {
    debug: (message, fields) => logger.debug(message, fields),
    info: (message, fields) => logger.info(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    error: (message, fields) => logger.error(message, fields),
  };
}
