/** The workload bench's side-by-side table (`--baseline`): medians per side and ours over the baseline's. */
import { baselineCliScript, comparisonMarkdown, type WorkloadResult } from '../../bench/workload';

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
