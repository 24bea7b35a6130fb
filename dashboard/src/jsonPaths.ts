/**
 * Where a field of a JSON text is: the line of each value, by the path the API's
 * validation issues name (`extractions[0].endpoint.url`). A small position-keeping
 * parser, so an issue shows at its field in the editor.
 */

/** Path -> 1-based line of the value (of its key, for object members). */
export function lineIndex(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let pos = 0;
  let line = 1;
  const skip = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) {
      if (text[pos] === '\n') line++;
      pos++;
    }
  };
  const fail = (): never => {
    throw new SyntaxError(`unexpected input at line ${line}`);
  };
  const string = (): string => {
    const start = pos;
    pos++;
    while (pos < text.length && text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    if (pos >= text.length) fail();
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (path: string, at: number): void => {
    skip();
    if (!lines.has(path)) lines.set(path, at);
    const c = text[pos];
    if (c === '{') {
      pos++;
      skip();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        skip();
        if (text[pos] !== '"') fail();
        const keyLine = line;
        const key = string();
        skip();
        if (text[pos] !== ':') fail();
        pos++;
        value(path === '' ? key : `${path}.${key}`, keyLine);
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      pos++;
      skip();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (let i = 0; ; i++) {
        skip();
        value(`${path}[${i}]`, line);
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 64));
    if (!literal) fail();
    pos += literal![0].length;
  };
  try {
    value('', 1);
  } catch {
    // A text that does not parse keeps the lines found before the error.
  }
  return lines;
}

/** The path without its last segment (`a.b[0]` -> `a.b`, `a` -> ``). */
function parentOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

/**
 * The line of the field a path names or, for a field that is missing (a required one),
 * of its nearest present parent.
 */
export function lineOf(index: Map<string, number>, path: string): number {
  for (let p = path; ; p = parentOf(p)) {
    const found = index.get(p);
    if (found !== undefined) return found;
    if (p === '') return 1;
  }
}

/** Where a JSON.parse error is, as a line number (the browser's message gives a position or a line). */
export function syntaxErrorLine(text: string, message: string): number {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(message);
  if (position) return text.slice(0, Number(position[1])).split('\n').length;
  return 1;
}
