/** The workload bench's side-by-side table (`--baseline`): medians per side and ours over the baseline's. */
import {
  baselineCliScript,
  comparisonMarkdown,
  floorMarkdown,
  type WorkloadResult,
} from '../../bench/workload';

function run(
  records: number,
  inRunMs: number,
  processMs: number,
  maxRssKb: number,
  cpuMs: number,
): WorkloadResult {
  return {
    id: `workload-${records}`,
    records,
    rows: records,
    inRunMs,
    inRunRowsPerSecond: records / (inRunMs / 1000),
    processMs,
    processRowsPerSecond: records / (processMs / 1000),
    startupMs: 100,
    maxRssKb,
    userCpuMs: cpuMs,
    systemCpuMs: 0,
    serverCpuSeconds: 1,
    outputBytes: 1,
  };
}

test('one line per size and figure: every run, the medians and their ratio', () => {
  const table = comparisonMarkdown(
    [
      {
        records: 1_000_000,
        baseline: [
          run(1_000_000, 20_000, 21_000, 200 * 1024, 16_000),
          run(1_000_000, 10_000, 11_000, 100 * 1024, 14_000),
        ],
        ours: [
          run(1_000_000, 5_000, 6_000, 100 * 1024, 4_000),
          run(1_000_000, 5_000, 6_000, 100 * 1024, 4_000),
        ],
      },
    ],
    '/tmp/before',
  );
  const lines = table.split('\n');
  expect(lines[0]).toContain('`/tmp/before`');
  // Medians of two runs are their mean; ratios are ours over the baseline's.
  expect(lines).toContain(
    '| 1,000,000 | in-run rows/s | 50,000, 100,000 | 200,000, 200,000 | 75,000 | 200,000 | 2.67× |',
  );
  expect(lines).toContain('| 1,000,000 | process s | 21.00, 11.00 | 6.00, 6.00 | 16.00 | 6.00 | 0.38× |');
  expect(lines).toContain(
    '| 1,000,000 | peak RSS MiB | 200.0, 100.0 | 100.0, 100.0 | 150.0 | 100.0 | 0.67× |',
  );
  expect(lines).toContain('| 1,000,000 | CLI CPU s | 16.00, 14.00 | 4.00, 4.00 | 15.00 | 4.00 | 0.27× |');
});

test("the baseline runs its own build's bench entry", () => {
  expect(baselineCliScript('/work/wt/before')).toBe('/work/wt/before/dist-bench/bench/cliMain.js');
});

test('the floors table puts each floor next to the median of the command runs of its size (not the baseline)', () => {
  const floor = (mode: 'fetch' | 'parse' | 'python', inRunMs: number) => ({
    id: `floor-${mode}-1000000`,
    records: 1_000_000,
    mode,
    pages: 1001,
    rows: 1_000_000,
    inRunMs,
    rowsPerSecond: 1_000_000 / (inRunMs / 1000),
    cpuMs: 1000,
    maxRssKb: 80 * 1024,
    serverCpuSeconds: null,
  });
  const base = run(1_000_000, 40_000, 41_000, 200 * 1024, 16_000);
  base.id = 'workload-1000000 base.1';
  const ours = [run(1_000_000, 12_000, 13_000, 1, 1), run(1_000_000, 8_000, 9_000, 1, 1)];
  ours.forEach((r, i) => (r.id = `workload-1000000 ours.${i + 1}`));
  const table = floorMarkdown([floor('fetch', 5_000), floor('python', 20_000)], [base, ...ours]);
  expect(table).toContain('| floor-fetch-1000000 | 5.00 | 200,000 | 1.00 | 80.0 | n/a | 2.00× |');
  expect(table).toContain('| floor-python-1000000 | 20.00 | 50,000 | 1.00 | 80.0 | n/a | 0.50× |');
});
