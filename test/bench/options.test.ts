/** `npm run bench` options: each bad value is refused with a message naming the option and what it takes. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, GROUPS, parseOptions } from '../../bench/options';

function refusal(argv: string[]): string {
  try {
    parseOptions(argv);
  } catch (err) {
    if (err instanceof BenchFailure) return err.message;
    throw err;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

test('defaults: every group, 2 rounds, the command heap policy as engine flags', () => {
  const options = parseOptions([]);
  expect([...options.only]).toEqual(GROUPS);
  expect(options.rounds).toBe(2);
  expect(options.nodeFlags).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=30']);
  expect(options.baseline).toBeUndefined();
});

test.each([
  [['--only', 'rows,nope'], '--only takes rows, pages, details, carol, workload, memory, api, distributed'],
  [['--only'], '--only takes'],
  [['--rows-in-flight', '0'], '--rows-in-flight takes an integer 1..64'],
  [['--node-flags', 'max-semi-space-size=8'], '--node-flags takes node options'],
  [['--baseline'], '--baseline takes the path of another checkout'],
  [['--rounds', '0'], '--rounds takes an integer 1..20'],
  [['--rounds', '21'], '--rounds takes an integer 1..20'],
  [['--rounds', '1.5'], '--rounds takes an integer 1..20'],
  [['--distributed-cases', ','], '--distributed-cases takes parts of case ids'],
  [['--distributed-rows', '999'], '--distributed-rows takes an integer ≥ 1000'],
  [['--distributed-rows', 'many'], '--distributed-rows takes an integer ≥ 1000'],
  [['--fast'], 'unknown option --fast'],
])('%j is refused: %s', (argv, message) => {
  expect(refusal(argv)).toContain(message);
});

describe('--baseline', () => {
  let checkout: string;
  beforeEach(() => {
    checkout = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  });
  afterEach(() => rmSync(checkout, { recursive: true, force: true }));

  it('refuses a checkout without a bench build, saying how to make one', () => {
    expect(refusal(['--baseline', checkout])).toBe(
      `--baseline: ${join(checkout, 'dist-bench', 'bench', 'cliMain.js')} does not exist; build that checkout's bench first (npx tsc -p tsconfig.bench.json there)`,
    );
  });

  it('takes a built checkout, with --rounds and the groups given', () => {
    mkdirSync(join(checkout, 'dist-bench', 'bench'), { recursive: true });
    writeFileSync(join(checkout, 'dist-bench', 'bench', 'cliMain.js'), '');
    const options = parseOptions(['--only', 'workload', '--baseline', checkout, '--rounds', '3']);
    expect(options).toMatchObject({ baseline: checkout, rounds: 3 });
    expect([...options.only]).toEqual(['workload']);
  });
});

test('--distributed-cases and --distributed-rows are kept as given', () => {
  expect(
    parseOptions(['--distributed-cases', 'details-20ms,rows', '--distributed-rows', '5000']),
  ).toMatchObject({
    distributedCases: ['details-20ms', 'rows'],
    distributedRows: 5000,
  });
});
