/** The options of `npm run bench` (bench/run.ts), parsed and checked. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchKind } from './cases';
import { baselineCliScript } from './workload';

/** The groups `--only` selects: the engine's case kinds, and the distributed pipeline. */
export type Group = BenchKind | 'workload' | 'memory' | 'distributed' | 'api';
export const GROUPS: readonly Group[] = [
  'rows',
  'pages',
  'details',
  'carol',
  'workload',
  'memory',
  'api',
  'distributed',
];

export interface Options {
  quick: boolean;
  only: Set<Group>;
  profile: boolean;
  rowsInFlight: number;
  /** Extra node flags for the engine children (V8 heap experiments). */
  nodeFlags: string[];
  /** `--node-flags` as given; the workload case adds no flags of its own (bin/api-extractor.js adds none). */
  givenNodeFlags?: string[];
  /** Another checkout whose build the workload case runs side by side with ours. */
  baseline?: string;
  /** Runs of each side per size when comparing (alternated). */
  rounds: number;
  /** `--distributed-cases`: run only distributed cases whose id contains one of these. */
  distributedCases?: string[];
  /** `--distributed-rows N`: the distributed rows case's size (probe and target). */
  distributedRows?: number;
}

/** A bench that cannot run as asked (bad options) or whose run went wrong: exit 1, loudly. */
export class BenchFailure extends Error {}

/** The command line of `npm run bench`; throws {@link BenchFailure} naming the option and what it takes. */
export function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    quick: false,
    only: new Set(GROUPS),
    profile: false,
    rowsInFlight: 1,
    // What the api-extractor command sets from inside (services/heap.ts), as flags.
    nodeFlags: ['--max-semi-space-size=8', '--heap-growing-percent=30'],
    rounds: 2,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--only') {
      const kinds = (argv[++i] ?? '').split(',').filter(Boolean);
      const valid = kinds.filter((k): k is Group => (GROUPS as readonly string[]).includes(k));
      if (valid.length === 0 || valid.length !== kinds.length)
        throw new BenchFailure(`--only takes ${GROUPS.join(', ')} (comma-separated)`);
      options.only = new Set(valid);
    } else if (arg === '--rows-in-flight') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 64)
        throw new BenchFailure('--rows-in-flight takes an integer 1..64');
      options.rowsInFlight = n;
    } else if (arg === '--node-flags') {
      options.nodeFlags = (argv[++i] ?? '').split(/\s+/).filter(Boolean);
      options.givenNodeFlags = options.nodeFlags;
      if (options.nodeFlags.some((f) => !f.startsWith('--')))
        throw new BenchFailure('--node-flags takes node options, e.g. "--max-semi-space-size=8"');
    } else if (arg === '--baseline') {
      const checkout = argv[++i];
      if (!checkout) throw new BenchFailure('--baseline takes the path of another checkout');
      const script = baselineCliScript(resolve(checkout));
      if (!existsSync(script))
        throw new BenchFailure(
          `--baseline: ${script} does not exist; build that checkout's bench first (npx tsc -p tsconfig.bench.json there)`,
        );
      options.baseline = resolve(checkout);
    } else if (arg === '--rounds') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 20) throw new BenchFailure('--rounds takes an integer 1..20');
      options.rounds = n;
    } else if (arg === '--distributed-cases') {
      options.distributedCases = (argv[++i] ?? '').split(',').filter(Boolean);
      if (options.distributedCases.length === 0)
        throw new BenchFailure('--distributed-cases takes parts of case ids, e.g. details-20ms,rows');
    } else if (arg === '--distributed-rows') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1000)
        throw new BenchFailure('--distributed-rows takes an integer ≥ 1000');
      options.distributedRows = n;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--only rows,pages,details,carol,workload,memory,api,distributed] [--profile] [--rows-in-flight N] [--node-flags "..."] [--baseline CHECKOUT [--rounds N]] [--distributed-cases details-20ms,pages,rows] [--distributed-rows N]\n',
      );
      process.exit(0);
    } else throw new BenchFailure(`unknown option ${arg}`);
  }
  return options;
}
