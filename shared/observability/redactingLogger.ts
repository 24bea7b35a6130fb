import type { Redactor } from '../core/redact';
import type { Logger } from '../ports/logger';

/** Wraps a logger so that no registered secret or token reaches it, in the message or any field. */
export function redactingLogger(inner: Logger, redactor: Redactor): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void =>
      inner[level](redactor.redact(message), fields ? redactor.redactDeep(fields) : undefined);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
