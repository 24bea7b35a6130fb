/**
 * JSON that keeps the upstream's key order. A JavaScript object lists integer-like
 * keys (`"7"`, `"10"`) before all others whatever order they were written in, so
 * `JSON.parse` then `JSON.stringify` moves them first; the original tool (Python
 * dicts) kept them where the upstream put them, and so must a file without a
 * data_schema.
 *
 * The common case costs one scan of the text for a quoted integer followed by a colon:
 * without one, this is `JSON.parse` and `JSON.stringify`. With one, the values still
 * come from `JSON.parse` (its numbers, escapes and errors) and a second pass over the
 * text records each object's keys in source order under {@link SOURCE_ORDER}, a
 * non-enumerable symbol that nothing else sees; the encoders and the CSV flattening
 * read it through {@link keysInSourceOrder} and {@link stringifyKeepingOrder}.
 */
import { isPlainObject } from './objects';

/**
 * On every object (its keys in source order) and array (`null`) of a document parsed
 * by {@link parseJsonKeepingOrder} that had integer-like keys.
 */
export const SOURCE_ORDER: unique symbol = Symbol('sourceOrder');

type Marked = { [SOURCE_ORDER]?: string[] | null };

/** A quoted integer-like key, or a string starting with an escaped digit (`"\u0037"`). */
const INTEGER_KEY = /"(?:(?:0|[1-9]\d{0,9})"\s*:|\\u003\d)/;

/**
 * `JSON.parse`, except that objects with integer-like keys remember their source order.
 *
 * @example
 * const value = parseJsonKeepingOrder('{"b":1,"7":2}');
 * keysInSourceOrder(value as object); // ['b', '7'] (Object.keys says ['7', 'b'])
 */
export function parseJsonKeepingOrder(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (INTEGER_KEY.test(text)) new OrderScanner(text).value(value);
  return value;
}

export function hasSourceOrder(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Marked)[SOURCE_ORDER] !== undefined;
}

/** The object's own keys in source order; keys added since come after, in `Object.keys` order. */
export function keysInSourceOrder(object: object): string[] {
  const order = (object as Marked)[SOURCE_ORDER];
  if (!order) return Object.keys(object);
  const keys = order.filter((k) => Object.hasOwn(object, k));
  const all = Object.keys(object);
  if (keys.length !== all.length) {
    const known = new Set(keys);
    for (const k of all) if (!known.has(k)) keys.push(k);
  }
  return keys;
}

/** Gives `copy` (a shallow copy of `source`, or a row built from it) the key order `keys`. */
export function markSourceOrder<T extends object>(copy: T, keys: string[]): T {
  Object.defineProperty(copy, SOURCE_ORDER, { value: keys, enumerable: false, configurable: true });
  return copy;
}

/** A shallow copy of a record that keeps its source key order. */
export function copyKeepingOrder(record: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...record };
  const order = (record as Marked)[SOURCE_ORDER];
  return order ? markSourceOrder(copy, order) : copy;
}

/**
 * `JSON.stringify`, except that objects parsed by {@link parseJsonKeepingOrder} (and
 * copies marked with their order) are written in source order, at every depth.
 */
export function stringifyKeepingOrder(value: unknown): string {
  if (!hasSourceOrder(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => stringifyKeepingOrder(v ?? null)).join(',')}]`;
  const object = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of keysInSourceOrder(object)) {
    const item = object[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${stringifyKeepingOrder(item)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A page of records as JSON text, each record in its source order. */
export function stringifyRecords(records: readonly unknown[]): string {
  if (records.length === 0 || !hasSourceOrder(records[0])) return JSON.stringify(records);
  return `[${records.map(stringifyKeepingOrder).join(',')}]`;
}

/**
 * Walks valid JSON text (`JSON.parse` accepted it) alongside its parsed value and marks
 * every object and array with {@link SOURCE_ORDER}.
 */
class OrderScanner {
  private at = 0;

  constructor(private readonly text: string) {}

  value(target: unknown): void {
    this.skipSpace();
    const c = this.text.charCodeAt(this.at);
    if (c === 123 /* { */) this.object(target);
    else if (c === 91 /* [ */) this.array(target);
    else if (c === 34 /* " */) this.string();
    else this.literal();
  }

  private object(target: unknown): void {
    this.at++;
    const keys: string[] = [];
    const seen = new Set<string>();
    const object = isPlainObject(target) ? target : undefined;
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 125 /* } */) this.at++;
    else {
      for (;;) {
        this.skipSpace();
        const start = this.at;
        this.string();
        const raw = this.text.slice(start, this.at);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (!seen.has(key)) {
          seen.add(key);
          keys.push(key);
        }
        this.skipSpace();
        this.at++; // ':'
        this.value(object?.[key]);
        this.skipSpace();
        if (this.text.charCodeAt(this.at++) === 125 /* } */) break;
      }
    }
    if (object) markSourceOrder(object, keys);
  }

  private array(target: unknown): void {
    this.at++;
    const array = Array.isArray(target) ? (target as unknown[]) : undefined;
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 93 /* ] */) this.at++;
    else {
      for (let i = 0; ; i++) {
        this.value(array?.[i]);
        this.skipSpace();
        if (this.text.charCodeAt(this.at++) === 93 /* ] */) break;
      }
    }
    if (array)
      Object.defineProperty(array, SOURCE_ORDER, { value: null, enumerable: false, configurable: true });
  }

  private string(): void {
    this.at++;
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === 92 /* \ */) this.at += 2;
      else {
        this.at++;
        if (c === 34 /* " */) return;
      }
    }
  }

  /** A number, `true`, `false` or `null`: up to the next delimiter. */
  private literal(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9 || Number.isNaN(c))
        return;
      this.at++;
    }
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      this.at++;
    }
  }
}
