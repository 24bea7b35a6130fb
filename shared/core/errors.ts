/**
 * Errors raised by the pure core. Each has its own class so callers branch on
 * `instanceof`, never on message text, and each keeps the `cause` it wraps.
 */

/** Options accepted by every core error; `cause` is passed to `Error` unchanged. */
export interface CoreErrorOptions {
  cause?: unknown;
}

/**
 * A failure that repeating the same work cannot fix: a bad config, an upstream that
 * answered for good (the HTTP client has already retried what is worth retrying), a
 * pagination that never ends. It fails the extraction at once; any other error is
 * taken as transient, and the work is tried again.
 */
export class PermanentFailure extends Error {}

/** Whether repeating the work that threw `err` is pointless. */
export function isPermanentFailure(err: unknown): boolean {
  return err instanceof PermanentFailure;
}

/** The message of an error, or the text of anything else thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A config is unusable: bad condition syntax, unknown transformation action, bad params. */
export class ConfigError extends PermanentFailure {
  constructor(message: string, options?: CoreErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A reference (`${type::path}`) cannot be resolved during a run. */
export class ReferenceResolutionError extends PermanentFailure {
  /** The reference as written in the config, e.g. `${last::id}`; empty when unknown. */
  readonly reference: string;

  constructor(message: string, options?: CoreErrorOptions & { reference?: string }) {
    super(message, options);
    this.name = 'ReferenceResolutionError';
    this.reference = options?.reference ?? '';
  }
}

/** A transformation cannot be applied to a row (e.g. a column named in `on` is missing). */
export class TransformationError extends PermanentFailure {
  constructor(message: string, options?: CoreErrorOptions) {
    super(message, options);
    this.name = 'TransformationError';
  }
}
