/**
 * ConditionExpression: `<operand> <operator> <operand>` or a lone operand read
 * as a boolean, evaluated against a response body. Tokenized and parsed by
 * hand — never `eval`-ed — so a config cannot run code.
 *
 * Grammar:
 * ```
 * condition := operand [ operator operand ]
 * operator  := '==' | '!=' | '<' | '<=' | '>' | '>='
 * operand   := number | 'true' | 'false' | 'null' | string | JsonField
 * string    := '…' | "…"   (backslash escapes: \n \t \r \b \f \/ \\ \' \" \uXXXX;
 *                           any other escaped character stands for itself)
 * ```
 * A bare word is a literal when it is exactly `true`, `false`, `null` or a number
 * (`-1`, `2.5`, `1e3`); any other bare word is a JsonField into the body.
 */
import { ConfigError } from './errors';
import { compileJsonField, type JsonFieldReader } from './jsonField';

/** A parsed condition, ready to evaluate against many bodies. */
export interface Condition {
  /** True when the condition holds for `body` (a parsed JSON response). */
  evaluate(body: unknown): boolean;
  /** The expression as written in the config. */
  readonly source: string;
}

export const CONDITION_OPERATORS = ['==', '!=', '<', '<=', '>', '>='] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

type Literal = string | number | boolean | null;

type Token =
  | { kind: 'operator'; operator: ConditionOperator; text: string }
  | { kind: 'operand'; read: JsonFieldReader; text: string };

/** A string that is a JSON number; only these compare numerically against numbers. */
const NUMERIC_STRING = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const OPERATOR_CHARS = '=!<>';
const QUOTES = `'"`;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/**
 * Parses a ConditionExpression.
 *
 * A lone operand is true when its value is `true`, the string `"true"` in any
 * case, or a non-zero number; everything else (absent, null, `false`, `0`, other
 * strings, objects) is false. APIs send "more records" flags in all three shapes.
 *
 * @throws ConfigError naming the reason, e.g.
 *   `invalid condition "info.page foo": expected an operator after "info.page" but found "foo"`.
 * @example
 * parseCondition('info.current_page < info.total_pages')
 *   .evaluate({ info: { current_page: 2, total_pages: 10 } }); // true
 */
export function parseCondition(source: string): Condition {
  const fail = (reason: string): never => {
    throw new ConfigError(`invalid condition ${JSON.stringify(source)}: ${reason}`);
  };
  const tokens = tokenize(source, fail);
  const [left, op, right, extra] = tokens;
  if (left === undefined) return fail('empty expression');
  if (left.kind === 'operator') return fail(`expected an operand before "${left.text}"`);
  if (op === undefined) {
    const read = left.read;
    return { source, evaluate: (body) => isTruthy(read(body)) };
  }
  if (op.kind !== 'operator') return fail(`expected an operator after "${left.text}" but found "${op.text}"`);
  if (right === undefined) return fail(`expected an operand after "${op.text}"`);
  if (right.kind === 'operator')
    return fail(`expected an operand after "${op.text}" but found "${right.text}"`);
  if (extra !== undefined) {
    return fail(`expected the end of the expression after "${right.text}" but found "${extra.text}"`);
  }
  const readLeft = left.read;
  const readRight = right.read;
  const compare = COMPARATORS[op.operator];
  return { source, evaluate: (body) => compare(readLeft(body), readRight(body)) };
}

function tokenize(source: string, fail: (reason: string) => never): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;
  while (i < n) {
    const ch = source.charAt(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (QUOTES.includes(ch)) {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= n) fail(`unterminated string starting at column ${start + 1}`);
        const c = source.charAt(i);
        if (c === ch) break;
        if (c === '\\') {
          if (i + 1 >= n) fail(`unterminated string starting at column ${start + 1}`);
          const e = source.charAt(i + 1);
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
            value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
          } else {
            value += ESCAPES[e] ?? e;
            i += 2;
          }
        } else {
          value += c;
          i++;
        }
      }
      i++; // closing quote
      tokens.push(operand(value, source.slice(start, i)));
    } else if (OPERATOR_CHARS.includes(ch)) {
      const two = source.slice(i, i + 2);
      const text = (CONDITION_OPERATORS as readonly string[]).includes(two) ? two : ch;
      if (!(CONDITION_OPERATORS as readonly string[]).includes(text)) {
        fail(`unknown operator "${ch}" at column ${i + 1} (valid: ${CONDITION_OPERATORS.join(' ')})`);
      }
      tokens.push({ kind: 'operator', operator: text as ConditionOperator, text });
      i += text.length;
    } else {
      const start = i;
      while (
        i < n &&
        !/\s/.test(source.charAt(i)) &&
        !QUOTES.includes(source.charAt(i)) &&
        !OPERATOR_CHARS.includes(source.charAt(i))
      ) {
        i++;
      }
      const word = source.slice(start, i);
      tokens.push(wordToken(word));
    }
  }
  return tokens;
}

function wordToken(word: string): Token {
  if (word === 'true') return operand(true, word);
  if (word === 'false') return operand(false, word);
  if (word === 'null') return operand(null, word);
  if (isNumberLiteral(word)) return operand(Number(word), word);
  return { kind: 'operand', read: compileJsonField(word), text: word };
}

const ZERO = 0x30;
const NINE = 0x39;

/**
 * `-?(digits[.digits?] | .digits)([eE][+-]?digits)?`, checked in one pass: the
 * equivalent regular expression backtracks quadratically on a long run of digits
 * that ends in something else, and a condition is user text.
 */
function isNumberLiteral(word: string): boolean {
  const n = word.length;
  let i = word.charCodeAt(0) === 0x2d ? 1 : 0; // '-'
  const digits = (): number => {
    const start = i;
    while (i < n && word.charCodeAt(i) >= ZERO && word.charCodeAt(i) <= NINE) i++;
    return i - start;
  };
  let mantissa = digits();
  if (i < n && word.charCodeAt(i) === 0x2e) {
    // '.': `1.` and `1.5` need digits before, `.5` after.
    i++;
    mantissa += digits();
  }
  if (mantissa === 0) return false;
  if (i < n && (word.charCodeAt(i) | 0x20) === 0x65) {
    // 'e' or 'E', an optional sign, then at least one digit.
    i++;
    if (i < n && (word.charCodeAt(i) === 0x2b || word.charCodeAt(i) === 0x2d)) i++;
    if (digits() === 0) return false;
  }
  return i === n;
}

function operand(value: Literal, text: string): Token {
  return { kind: 'operand', read: () => value, text };
}

function isTruthy(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value.toLowerCase() === 'true';
  return false;
}

/** A number, or a string holding a JSON number; otherwise `undefined`. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC_STRING.test(value)) return Number(value);
  return undefined;
}

/**
 * `==`: numbers numerically, a number against a numeric string numerically (APIs
 * often send `"3"`), everything else as strict JSON equality; absent equals null.
 * Two numeric strings compare as strings, so `"1.0" == "1"` is false.
 */
function equals(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = asNumber(a);
    const y = asNumber(b);
    return x !== undefined && y !== undefined && x === y;
  }
  return jsonEqual(a ?? null, b ?? null);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item ?? null, b[i] ?? null));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}

/**
 * Ordering: numeric when both sides are numbers or numeric strings, by code unit
 * when both are strings (so ISO timestamps order correctly), otherwise false —
 * absent, null, booleans and objects have no order.
 */
function order(a: unknown, b: unknown): number | undefined {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : x === y ? 0 : undefined;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function ordered(test: (difference: number) => boolean): (a: unknown, b: unknown) => boolean {
  return (a, b) => {
    const d = order(a, b);
    return d !== undefined && test(d);
  };
}

const COMPARATORS: Record<ConditionOperator, (a: unknown, b: unknown) => boolean> = {
  '==': equals,
  '!=': (a, b) => !equals(a, b),
  '<': ordered((d) => d < 0),
  '<=': ordered((d) => d <= 0),
  '>': ordered((d) => d > 0),
  '>=': ordered((d) => d >= 0),
};
