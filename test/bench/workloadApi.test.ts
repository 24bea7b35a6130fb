import { PrerenderedPages, startWorkloadApi, workloadItem, WorkloadPages } from '../../bench/workloadApi';

interface PageBody {
  data: Array<Record<string, unknown>>;
  info: { per_page: number; count: number; page: number; more_records: boolean };
}

describe('the workload bench API (pre-rendered pages)', () => {
  it('renders each page from templates exactly as the plain items, ids in order', () => {
    const pages = new WorkloadPages(25, 10);
    expect(pages.pageCount).toBe(3);
    const bodies = [1, 2, 3].map((n) => JSON.parse(pages.page(n)) as PageBody);
    expect(bodies.map((b) => b.data.length)).toEqual([10, 10, 5]);
    const items = bodies.flatMap((b) => b.data);
    expect(items.map((item) => item.id)).toEqual(Array.from({ length: 25 }, (_, n) => 1_000_001 + n));
    items.forEach((item, n) => expect(item).toEqual(workloadItem(n + 1, n % 10)));
    expect(bodies.map((b) => b.info.more_records)).toEqual([true, true, false]);
    expect(bodies.map((b) => b.info.count)).toEqual([10, 10, 5]);
  });

  it('answers no items and more_records false past the end', () => {
    const body = JSON.parse(new WorkloadPages(20, 10).page(3)) as PageBody;
    expect(body.data).toEqual([]);
    expect(body.info).toEqual({ per_page: 10, count: 0, page: 3, more_records: false });
  });

  it('has items of about 330 bytes, some notes with quotes and newlines, 8 selectable columns', () => {
    const pages = new WorkloadPages(1000, 1000);
    const text = pages.page(1);
    const items = (JSON.parse(text) as PageBody).data;
    const average = (Buffer.byteLength(text) - 60) / items.length;
    expect(average).toBeGreaterThan(300);
    expect(average).toBeLessThan(360);
    expect(items.some((i) => String(i.note).includes('"') && String(i.note).includes('\n'))).toBe(true);
    expect(items[2]).toMatchObject({
      id: 1_000_003,
      name: 'Item 3',
      status: expect.any(String) as string,
      owner: { name: 'Owner 3', email: 'owner3@example.com', id: '2000003' },
      account: { name: expect.stringMatching(/^Café \d$/) as string },
    });
    expect(typeof items[2]!.price).toBe('number');
  });

  it('serves pages over HTTP and records when the first request came', async () => {
    const api = await startWorkloadApi(new WorkloadPages(15, 10));
    try {
      expect(api.firstRequestAtMs()).toBeUndefined();
      const before = Date.now();
      const response = await fetch(`${api.url}/items?page=2&per_page=10`);
      const body = (await response.json()) as PageBody;
      expect(body.data.map((i) => i.id)).toEqual([1_000_011, 1_000_012, 1_000_013, 1_000_014, 1_000_015]);
      expect(body.info.more_records).toBe(false);
      expect(api.firstRequestAtMs()).toBeGreaterThanOrEqual(before);
      expect((await fetch(`${api.url}/other`)).status).toBe(404);
      expect(api.requests()).toBe(2);
    } finally {
      await api.close();
    }
  });

  it('renders every page before the first request, byte for byte the same, the past-the-end page too', () => {
    const pages = new WorkloadPages(35, 10);
    const ready = new PrerenderedPages(pages);
    for (const n of [1, 2, 3, 4, 5]) expect(ready.take(n).toString('utf8')).toBe(pages.page(n));
    expect(ready.served).toBe(5);
    // Pages out of range are rendered on the spot: same bytes, not counted.
    expect(ready.take(9).toString('utf8')).toBe(pages.page(9));
    expect(ready.take(0).toString('utf8')).toBe(pages.page(0));
    expect(ready.served).toBe(5);
  });
});
