/**
 * The `memory` group: an upstream that answers every page with a 2 GiB JSON body
 * (streamed, no Content-Length) against an engine run with `pages_in_flight: 8`, in a
 * fresh engine process (bench/largeBodyRun.ts) so its peak RSS is its own. The run
 * must fail with the per-response limit's error; the figure is the peak RSS.
 */
import http from 'node:http';
import { join } from 'node:path';
import { listenLocal } from '../test/support/listen';
import { runNodeScript } from './processes';

const CHILD_SCRIPT = join(__dirname, 'largeBodyRun.js');
export const LARGE_BODY_BYTES = 2 * 1024 * 1024 * 1024;
export const LARGE_BODY_PAGES_IN_FLIGHT = 8;

/** What the engine child prints on stdout (one JSON line). */
export interface LargeBodyResult {
  success: boolean;
  error: string | null;
  requests: number;
  wallMs: number;
  /** The child's peak RSS, KiB. */
  maxRssKb: number;
  startRssKb: number;
}

/** Streams `bytes` of `{"data":[{"pad":"xxxx…` for every request, with backpressure, until the client goes. */
async function startLargeBodyServer(bytes: number): Promise<{ url: string; close(): Promise<void> }> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('error', () => undefined);
    let left = bytes;
    res.write('{"data":[{"pad":"');
    const pump = (): void => {
      while (left > 0 && !res.destroyed) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end('"}]}');
    };
    pump();
  });
  return listenLocal(server);
}

export async function runLargeBodyCase(dataDir: string, nodeFlags: string[]): Promise<LargeBodyResult> {
  const server = await startLargeBodyServer(LARGE_BODY_BYTES);
  try {
    const output = await runNodeScript(
      CHILD_SCRIPT,
      [
        '--url',
        `${server.url}/huge`,
        '--pages-in-flight',
        String(LARGE_BODY_PAGES_IN_FLIGHT),
        '--data-dir',
        dataDir,
      ],
      300_000,
      nodeFlags,
    );
    const line = output.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as LargeBodyResult;
    } catch {
      throw new Error(`large-body child exited ${output.code} without a result; stderr:\n${output.stderr}`);
    }
  } finally {
    await server.close();
  }
}

export function largeBodyMarkdown(r: LargeBodyResult): string {
  return [
    '### Response memory (2 GiB streamed bodies, pages_in_flight 8)',
    '',
    '| peak RSS | RSS at start | requests | wall | outcome |',
    '|---|---|---|---|---|',
    `| ${(r.maxRssKb / 1024).toFixed(0)} MiB | ${(r.startRssKb / 1024).toFixed(0)} MiB | ${r.requests} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.success ? 'succeeded (unexpected)' : (r.error ?? 'failed')} |`,
  ].join('\n');
}
