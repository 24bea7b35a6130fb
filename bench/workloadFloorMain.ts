/**
 * The floor of the workload case: what fetching its pages costs before anything is
 * done with them, measured with the HTTP client the command uses.
 *
 *   node dist-bench/bench/workloadFloorMain.js --url http://127.0.0.1:PORT --mode fetch|parse
 *
 * Asks for `/items?page=1`, 2, … in order, one request at a time on one keep-alive
 * connection (undici's `request`, as the command with `pages_in_flight` 1), reads each
 * body as text and stops at the page whose `info.more_records` is false. `fetch` finds
 * that flag in the text; `parse` runs `JSON.parse` on the body and reads it, as any
 * client that parses its pages must. Nothing is mapped or written. Prints one line
 * `FLOOR {json}` ({@link FloorReport}).
 */
import { request } from 'undici';

export interface FloorReport {
  mode: 'fetch' | 'parse' | 'python';
  pages: number;
  rows: number;
  /** First request sent → last body read. */
  inRunMs: number;
  cpuMs: number;
  maxRssKb: number;
}

function flag(argv: readonly string[], name: string): string {
  const at = argv.indexOf(name);
  const value = at < 0 ? undefined : argv[at + 1];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const url = flag(argv, '--url');
  const mode = flag(argv, '--mode');
  if (mode !== 'fetch' && mode !== 'parse') throw new Error('--mode takes fetch or parse');
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let rows = 0;
  let page = 1;
  for (; ; page++) {
    const res = await request(`${url}/items?page=${page}&per_page=1000`);
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`page ${page}: HTTP ${res.statusCode}`);
    let more: boolean;
    if (mode === 'parse') {
      const body = JSON.parse(text) as { data: unknown[]; info: { more_records: boolean } };
      rows += body.data.length;
      more = body.info.more_records;
    } else {
      more = !text.includes('"more_records":false');
      rows += Number(/"count":(\d+)/.exec(text.slice(-200))?.[1] ?? 0);
    }
    if (!more) break;
  }
  const inRunMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const report: FloorReport = {
    mode,
    pages: page,
    rows,
    inRunMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
  };
  process.stdout.write(`FLOOR ${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
