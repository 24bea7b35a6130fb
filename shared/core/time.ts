/** Time formats fixed by the original tool's outputs. */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2026-01-01 01:00:00.000000` (UTC): `ext__timestamp` and execution-log dates. */
export function formatLogTimestamp(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    `${pad(date.getUTCMilliseconds(), 3)}000`
  );
}

/** `2026-01-01@01-00-00` (UTC): the `{timestamp}` of an output filename. */
export function formatFilenameTimestamp(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}@` +
    `${pad(date.getUTCHours())}-${pad(date.getUTCMinutes())}-${pad(date.getUTCSeconds())}`
  );
}
