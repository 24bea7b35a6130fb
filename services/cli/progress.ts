/** The live progress line: redrawn in place on a terminal, a periodic line otherwise. */
import type { ExtractionProgress } from '../../shared/engine/runExtraction';

/** Made by the first line drawn: building a number format loads ICU's locale data (20–30 ms). */
let numberFormat: Intl.NumberFormat | undefined;
const number = {
  format: (n: number): string => (numberFormat ??= new Intl.NumberFormat('en-US')).format(n),
};

export function describeProgress(p: ExtractionProgress, now = Date.now()): string {
  const seconds = Math.max((now - p.startedAt) / 1000, 0.001);
  const rate = Math.round(p.rows / seconds);
  const parts = [
    `${p.label}: ${number.format(p.pages)} pages`,
    `${number.format(p.rows)} rows`,
    `${number.format(rate)} rows/s`,
  ];
  if (p.detailRequests) parts.push(`${number.format(p.detailRequests)} details`);
  if (p.retries) parts.push(`${number.format(p.retries)} retries`);
  if (p.warnings) parts.push(`${number.format(p.warnings)} warnings`);
  parts.push(`${seconds.toFixed(1)}s`);
  return parts.join(', ');
}

/**
 * One line for every extraction running (`--concurrency` runs several at once: their
 * progress joined by ` | `); an extraction that finishes leaves its last state on a
 * line of its own on a terminal.
 */
export class ProgressLine {
  private lastDraw = 0;
  private drawn = false;
  private readonly running = new Map<string, ExtractionProgress>();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly interactive = Boolean(stream.isTTY),
    private readonly intervalMs = interactive ? 100 : 10_000,
  ) {}

  update(p: ExtractionProgress): void {
    if (p.finished) this.running.delete(p.label);
    else this.running.set(p.label, p);
    const now = Date.now();
    if (!p.finished && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    const text = [...this.running.values()].map((r) => describeProgress(r, now)).join(' | ');
    if (this.interactive) {
      if (p.finished) {
        this.stream.write(`\r\x1b[2K${describeProgress(p, now)}`);
        this.drawn = true;
        this.done();
        if (this.running.size === 0) return;
      }
      this.stream.write(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else if (!p.finished) {
      this.stream.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
