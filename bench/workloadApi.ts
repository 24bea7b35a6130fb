/**
 * The `workload` case's upstream: page-number pagination (`?page=n`, `info.more_records`)
 * over items of about 330 bytes, served from pre-rendered page templates so the fake API
 * is not what the benchmark measures.
 *
 * Item `i` (1-based) sits at position `k = (i - 1) % pageSize` of its page. Everything
 * but the numbers derived from `i` depends on `k` alone, so each position's JSON is
 * rendered once as fixed segments and a page is those segments joined around its ids;
 * every page is rendered so before the API listens ({@link PrerenderedPages}).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One item, as the plain object the templates must render (the test compares both). */
export function workloadItem(i: number, k: number): Record<string, unknown> {
  const notes = [
    `Item ${i}; notes, misc\nsecond line`,
    `Item ${i} says "hello, world"\nthen "bye"`,
    `Item ${i}; notes, misc`,
    `Item ${i}: a longer note, with commas, to vary the row width`,
  ];
  return {
    id: 1_000_000 + i,
    name: `Item ${i}`,
    price: Math.round((k % 97) * 1.25 * 100 + 3175) / 100,
    status: ['open', 'won', 'lost', 'pending'][k % 4],
    note: notes[k % notes.length],
    owner: { name: `Owner ${i}`, email: `owner${i}@example.com`, id: String(2_000_000 + i) },
    account: { name: `Café ${k % 10}`, id: 3_000_000 + (k % 10), region: { code: `R${k % 4}` } },
    tags: k % 3 === 0 ? ['a', 'b'] : ['a', 'b', 'c'],
    created_at: new Date(Date.UTC(2024, 0, 1) + k * 60_000).toISOString(),
    flag: k % 2 === 1,
  };
}

/** Marks where `i` goes in a rendered template; never occurs in item text. */
const HOLE = 987_654_321;

/**
 * One position's JSON split around its `i`-derived numbers: the pieces between holes,
 * and per hole the offset added to `i` (ids are `i` plus a constant).
 */
interface Template {
  pieces: string[];
  offsets: number[];
}

function templateOf(k: number): Template {
  const holes = [0, 1_000_000, 2_000_000];
  // Render with i = HOLE, then cut at HOLE, HOLE + 1e6 and HOLE + 2e6.
  const text = JSON.stringify(workloadItem(HOLE, k));
  const pattern = new RegExp(holes.map((h) => String(HOLE + h)).join('|'), 'g');
  const pieces: string[] = [];
  const offsets: number[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    pieces.push(text.slice(last, match.index));
    offsets.push(Number(match[0]) - HOLE);
    last = match.index + match[0].length;
  }
  pieces.push(text.slice(last));
  return { pieces, offsets };
}

/** Renders the pages of `records` items, `pageSize` a page, from templates built once. */
export class WorkloadPages {
  private readonly templates: Template[];
  readonly pageCount: number;

  constructor(
    readonly records: number,
    readonly pageSize: number,
  ) {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error('pageSize must be a positive integer');
    if (!Number.isInteger(records) || records < 0) throw new Error('records must be a non-negative integer');
    this.templates = Array.from({ length: Math.min(pageSize, Math.max(records, 1)) }, (_, k) =>
      templateOf(k),
    );
    this.pageCount = Math.ceil(records / pageSize);
  }

  /** The body of page `page` (from 1); past the end, no items and `more_records` false. */
  page(page: number): string {
    const first = (page - 1) * this.pageSize + 1;
    const last = Math.min(page * this.pageSize, this.records);
    const items: string[] = [];
    for (let i = first; i <= last && page >= 1; i++) {
      const { pieces, offsets } = this.templates[(i - 1) % this.pageSize]!;
      let text = pieces[0]!;
      for (let h = 0; h < offsets.length; h++) text += String(i + offsets[h]!) + pieces[h + 1]!;
      items.push(text);
    }
    const info = {
      per_page: this.pageSize,
      count: items.length,
      page,
      more_records: page >= 1 && page < this.pageCount,
    };
    return `{"data":[${items.join(',')}],"info":${JSON.stringify(info)}}`;
  }
}

/**
 * Every page rendered before the API listens (the past-the-end page too), so answering
 * a request is writing a buffer: rendering a page takes 2–3 ms of the API's one
 * thread, which a client asking pages in order would otherwise wait for on every
 * request. About 330 MB for 1,000,000 items, in the API's process only.
 */
export class PrerenderedPages {
  private readonly bodies: Buffer[];
  /** Requests answered with a page rendered before they came. */
  served = 0;

  constructor(private readonly pages: WorkloadPages) {
    this.bodies = Array.from({ length: pages.pageCount + 1 }, (_, i) => this.bodyOf(i + 1));
  }

  /** The body of `page`: rendered before if it was (pages 1 to one past the last), now otherwise. */
  take(page: number): Buffer {
    const ready = page >= 1 ? this.bodies[page - 1] : undefined;
    if (ready) this.served++;
    return ready ?? this.bodyOf(page);
  }

  private bodyOf(page: number): Buffer {
    return Buffer.from(this.pages.page(page), 'utf8');
  }
}

export interface WorkloadApi {
  url: string;
  /** Requests answered with a page rendered before they came. */
  servedAhead(): number;
  /** `Date.now()` when the first request arrived; undefined before. */
  firstRequestAtMs(): number | undefined;
  requests(): number;
  close(): Promise<void>;
}

/** Serves `GET /items?page=n` on 127.0.0.1; anything else is a 404. */
export async function startWorkloadApi(pages: WorkloadPages, port = 0): Promise<WorkloadApi> {
  let first: number | undefined;
  let count = 0;
  const ahead = new PrerenderedPages(pages);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    first ??= Date.now();
    count++;
    const url = new URL(req.url ?? '/', 'http://x');
    const page = Number(url.searchParams.get('page') ?? '1');
    if (url.pathname !== '/items' || !Number.isInteger(page)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const body = ahead.take(page);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    firstRequestAtMs: () => first,
    requests: () => count,
    servedAhead: () => ahead.served,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
