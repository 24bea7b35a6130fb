/** The progress line with several extractions running at once (`--concurrency`). */
import { ProgressLine } from '../../services/cli/progress';
import type { ExtractionProgress } from '../../shared/engine/runExtraction';

function writes() {
  const out: string[] = [];
  const stream = { write: (text: string) => out.push(text), isTTY: false } as unknown as NodeJS.WriteStream;
  return { out, stream };
}

const progress = (label: string, rows: number, finished = false): ExtractionProgress => ({
  extractionName: label,
  label,
  pages: 1,
  rows,
  requests: 1,
  retries: 0,
  detailRequests: 0,
  warnings: 0,
  startedAt: Date.now() - 1000,
  finished,
});

test('every running extraction is on the line; a finished one leaves it', () => {
  const { out, stream } = writes();
  const line = new ProgressLine(stream, false, 0);
  line.update(progress('a', 10));
  line.update(progress('b', 20));
  expect(out.at(-1)).toMatch(/^a: 1 pages, 10 rows, .* \| b: 1 pages, 20 rows, /);
  line.update(progress('a', 30, true));
  line.update(progress('b', 40));
  expect(out.at(-1)).toMatch(/^b: 1 pages, 40 rows, /);
  expect(out.at(-1)).not.toContain('a: ');
});

test('on a terminal, a finished extraction keeps its last state on a line of its own', () => {
  const { out, stream } = writes();
  const line = new ProgressLine(stream, true, 0);
  line.update(progress('a', 10));
  line.update(progress('b', 20));
  line.update(progress('a', 30, true));
  const text = out.join('').replaceAll('\x1b[2K', '<clear>');
  expect(text).toMatch(/a: 1 pages, 30 rows, [^\n|]*\n\r<clear>b: 1 pages, 20 rows/);
});
