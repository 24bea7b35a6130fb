/**
 * Measures the work a synchronous parser does, without a clock: while `fn` runs,
 * the string and RegExp primitives a parser can use are wrapped and charged by the
 * characters they must examine.
 *
 * - a character read (`charAt`, `charCodeAt`, `codePointAt`, `at`) costs 1;
 * - a search (`indexOf`, `includes`, `lastIndexOf`) costs the characters it passed;
 * - a copy or whole-string operation (`slice`, `substring`, `split`, `trim`, case
 *   changes, `replaceAll` with a string) costs the characters involved;
 * - a RegExp execution costs the square of the text it runs on: a backtracking
 *   engine's worst case, since what happens inside one call cannot be seen. So a
 *   parser is only cheap here when its regular expressions run on bounded pieces.
 *
 * A linear parser's work therefore grows at most linearly with its input, and a
 * test can assert that doubling a pathological input about doubles the work.
 */
type Method = (this: unknown, ...args: unknown[]) => unknown;

interface Patch {
  target: object;
  name: PropertyKey;
  original: Method;
}

export function measureWork(fn: () => unknown): number {
  let work = 0;
  let active = false;
  const patches: Patch[] = [];
  const charge = (
    target: object,
    name: PropertyKey,
    cost: (self: string, args: unknown[], result: unknown) => number,
  ): void => {
    const original = (target as Record<PropertyKey, Method>)[name] as Method;
    patches.push({ target, name, original });
    Object.defineProperty(target, name, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        if (active) {
          active = false;
          try {
            work += cost(String(this), args, result);
          } finally {
            active = true;
          }
        }
        return result;
      },
    });
  };
  const S = String.prototype;
  for (const name of ['charAt', 'charCodeAt', 'codePointAt', 'at']) {
    // The hot path of any scanner: one unit, no allocation.
    const original = (S as unknown as Record<string, Method>)[name] as Method;
    patches.push({ target: S, name, original });
    Object.defineProperty(S, name, {
      configurable: true,
      writable: true,
      value: function (this: string, position: number) {
        if (active) work++;
        return original.call(this, position);
      },
    });
  }
  const searched = (self: string, args: unknown[], result: unknown): number => {
    const from = Math.max(0, Number(args[1] ?? 0) || 0);
    const found = typeof result === 'number' ? result : -1;
    return found === -1 ? self.length - from : found - from + String(args[0]).length;
  };
  charge(S, 'indexOf', searched);
  charge(S, 'includes', (self, args) => self.length - Math.max(0, Number(args[1] ?? 0) || 0));
  charge(S, 'lastIndexOf', (self) => self.length);
  charge(S, 'slice', (_self, _args, result) => String(result).length);
  charge(S, 'substring', (_self, _args, result) => String(result).length);
  for (const name of [
    'split',
    'trim',
    'trimStart',
    'trimEnd',
    'toLowerCase',
    'toUpperCase',
    'replaceAll',
    'startsWith',
    'endsWith',
  ])
    charge(S, name, (self) => self.length);
  charge(RegExp.prototype, 'exec', (_self, args) => String(args[0]).length ** 2);
  active = true;
  try {
    fn();
  } finally {
    active = false;
    for (const { target, name, original } of patches.reverse())
      Object.defineProperty(target, name, { configurable: true, writable: true, value: original });
  }
  return work;
}

/**
 * The work of `parse` on `input(size)` and on `input(2 * size)`, and their ratio:
 * about 2 for a linear parser, about 4 for a quadratic one. Errors thrown by `parse`
 * (a refused input) are part of the work and are ignored.
 */
export function doublingRatio(
  parse: (text: string) => unknown,
  input: (size: number) => string,
  size: number,
): number {
  const run = (text: string) =>
    measureWork(() => {
      try {
        parse(text);
      } catch {
        // Refusing the input is a fine outcome; only the work matters.
      }
    });
  const small = run(input(size));
  const large = run(input(2 * size));
  return large / Math.max(1, small);
}
