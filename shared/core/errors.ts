/**
 * Errors raised by the pure core. Each has its own class so callers branch on
 * `instanceof`, never on message text, and each keeps the `cause` it wraps.
 */

/** Options accepted by every core error; `cause` is passed to `Error` unchanged. */
export interface CoreErrorOptions {
  cause?: unknown;
}

/** A config is unusable: bad condition syntax, unknown transformation action, bad params. */
export class ConfigError extends Error {
  constructor(message: string, options?: CoreErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A reference (`${type::path}`) cannot be resolved during a run. */
export class ReferenceResolutionError extends Error {
  /** The reference as written in the config, e.g. `${last::id}`; empty when unknown. */
  readonly reference: string;

  constructor(message: string, options?: CoreErrorOptions & { reference?: string }) {
    super(message, options);
    this.name = 'ReferenceResolutionError';
    this.reference = options?.reference ?? '';
  }
}

/** A transformation cannot be applied to a row (e.g. a column named in `on` is missing). */
export class TransformationError extends Error {
  constructor(message: string, options?: CoreErrorOptions) {
    super(message, options);
    this.name = 'TransformationError';
  }
}
