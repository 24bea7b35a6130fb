/**
 * Secret masking. Every value that came from the secret store, and every token,
 * is registered here before anything can print it; logs, errors and execution
 * logs pass through {@link Redactor.redact}.
 */
const MASK = '***';
/** Shorter values are too likely to be ordinary text ("1", "true") to mask safely. */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a value (and its URL-encoded form, which appears in query strings). */
  add(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const text = String(value);
    if (text.length < MIN_SECRET_LENGTH) return;
    for (const form of [
      text,
      encodeURIComponent(text),
      new URLSearchParams({ x: text }).toString().slice(2),
    ]) {
      if (!this.secrets.has(form)) {
        this.secrets.add(form);
        this.pattern = undefined;
      }
    }
  }

  /** Registers every string or number leaf of a JSON value. */
  addAll(value: unknown): void {
    if (Array.isArray(value)) value.forEach((v) => this.addAll(v));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => this.addAll(v));
    else this.add(value);
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    if (!this.pattern) {
      // Longest first, so a secret that contains another is masked whole.
      const alternatives = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.pattern, MASK);
  }

  /** Redacts every string inside a JSON-like value (returns a copy). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
