/** Record comparison for boundary de-duplication. */

/**
 * True when two raw records are the same, comparing numbers as text (`3` equals
 * `"3"`), as the original tool did when it compared a run's first record with the
 * previous run's `last`. Object key order does not matter.
 */
export function sameRecordAsText(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  const aObj = typeof a === 'object';
  const bObj = typeof b === 'object';
  if (aObj !== bObj) return false;
  if (!aObj) return String(a) === String(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameRecordAsText(item, b[i]));
  }
  const ak = Object.keys(a as object);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(bo, k) &&
      sameRecordAsText((a as Record<string, unknown>)[k], bo[k]),
  );
}
