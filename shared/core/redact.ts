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
  /** Lower-cased forms {@link mentions} looks for. */
  private readonly detectable = new Set<string>();

  /** Registers a value (and its URL-encoded form, which appears in query strings). */
  add(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const text = String(value);
    if (text.length < MIN_SECRET_LENGTH) return;
    const forms = [text, encodeURIComponent(text), new URLSearchParams({ x: text }).toString().slice(2)];
    for (const form of forms) {
      if (!this.secrets.has(form)) {
        this.secrets.add(form);
        this.pattern = undefined;
      }
    }
    // base64 of the UTF-8 bytes, without Node's Buffer: the core stays runtime-neutral.
    let binary = '';
    for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
    const base64 = btoa(binary).replace(/=+$/, '');
    for (const form of [...forms, base64, base64.replaceAll('+', '-').replaceAll('/', '_')]) {
      this.detectable.add(form.toLowerCase());
    }
  }

  /**
   * True when any string inside `value` holds a registered value in any letter case,
   * URL-encoded or base64-encoded: forms an upstream echo or a transformation
   * (`upper`, `lower`) can produce, which {@link redact} does not mask.
   */
  mentions(value: unknown): boolean {
    if (typeof value === 'string') {
      if (this.detectable.size === 0) return false;
      const lower = value.toLowerCase();
      for (const form of this.detectable) if (lower.includes(form)) return true;
      return false;
    }
    if (Array.isArray(value)) return value.some((v) => this.mentions(v));
    if (value && typeof value === 'object') return Object.values(value).some((v) => this.mentions(v));
    return false;
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
