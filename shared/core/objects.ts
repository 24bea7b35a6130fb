/** Small object helpers shared by the core modules (internal, not part of the public API). */

/**
 * True for a JSON object: not null, not an array, and with a plain prototype
 * (checked structurally so objects from another realm, e.g. a jest VM, qualify).
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * `target[key] = value`, except that a key named `__proto__` (legal in JSON and
 * produced by `JSON.parse` as an own property) is defined as data instead of
 * replacing the object's prototype.
 */
export function setOwnProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Text form of a value for interpolation and joins: null/undefined → '', objects → JSON. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
