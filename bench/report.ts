/** Benchmark figures, targets and their markdown rendering. */
import type { BenchKind, EngineResult } from './cases';

export interface CaseResult {
  /** e.g. `rows-1000000`, `pages-inflight-8`. */
  id: string;
  kind: BenchKind;
  label: string;
  result: EngineResult;
  /** Rows per second of wall time. */
  rowsPerSecond: number;
  /** Latency-bound cases: latency × requests / in-flight, in ms. */
  floorMs?: number;
  /** wall / floor. */
  floorRatio?: number;
  /** Requests the floor counts (pages or detail requests). */
  floorRequests?: number;
  latencyMs?: number;
  inFlight?: number;
  /** CPU seconds the fake API process used during the run (Linux). */
  serverCpuSeconds?: number;
  /** carol: intake bytes as sent (gzip) and decompressed, and intake requests (as the fake Carol counted). */
  carolBytes?: { gzip: number; uncompressed: number; requests: number };
  /** CPU seconds the fake Carol process used during the run (Linux): it competes with the engine for the cores. */
  carolCpuSeconds?: number;
}

export interface TargetCheck {
  target: string;
  figure: string;
  pass: boolean;
}

export interface Targets {
  minRowsPerSecond: number;
  maxPeakRssMiB: number;
  maxRssGrowth: number;
  maxFloorRatio: number;
}

export const TARGETS: Targets = {
  minRowsPerSecond: 100_000,
  maxPeakRssMiB: 200,
  maxRssGrowth: 1.2,
  maxFloorRatio: 1.5,
};

export const mib = (kb: number): number => kb / 1024;
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtS = (ms: number): string => (ms / 1000).toFixed(2);
const fmtMiB = (kb: number): string => mib(kb).toFixed(1);
const fmtBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

/** Target checks over whichever cases ran. */
export function checkTargets(cases: CaseResult[], targets: Targets = TARGETS): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const rows = cases.filter((c) => c.kind === 'rows').sort((a, b) => a.result.rows - b.result.rows);
  for (const c of rows) {
    checks.push({
      target: `${c.label}: ≥ ${fmtInt(targets.minRowsPerSecond)} rows/s`,
      figure: `${fmtInt(c.rowsPerSecond)} rows/s`,
      pass: c.rowsPerSecond >= targets.minRowsPerSecond,
    });
  }
  const smallest = rows[0];
  const largest = rows[rows.length - 1];
  if (largest) {
    checks.push({
      target: `${largest.label}: peak RSS < ${targets.maxPeakRssMiB} MiB`,
      figure: `${fmtMiB(largest.result.maxRssKb)} MiB`,
      pass: mib(largest.result.maxRssKb) < targets.maxPeakRssMiB,
    });
  }
  if (smallest && largest && smallest !== largest) {
    const growth = largest.result.maxRssKb / smallest.result.maxRssKb;
    checks.push({
      target: `peak RSS ${largest.label} ≤ ${targets.maxRssGrowth}× ${smallest.label}`,
      figure: `${growth.toFixed(2)}× (${fmtMiB(largest.result.maxRssKb)} / ${fmtMiB(smallest.result.maxRssKb)} MiB)`,
      pass: growth <= targets.maxRssGrowth,
    });
  }
  const csv = rows[rows.length - 1];
  for (const c of cases.filter((x) => x.kind === 'carol')) {
    const csvSame = rows.find((r) => r.result.rows === c.result.rows) ?? csv;
    if (csvSame) {
      checks.push({
        target: `${c.label}: ≥ half the rows/s of ${csvSame.label} to CSV`,
        figure: `${fmtInt(c.rowsPerSecond)} vs ${fmtInt(csvSame.rowsPerSecond)} rows/s (${(c.rowsPerSecond / csvSame.rowsPerSecond).toFixed(2)}×)`,
        pass: c.rowsPerSecond >= csvSame.rowsPerSecond / 2,
      });
    }
    checks.push({
      target: `${c.label}: peak RSS < ${targets.maxPeakRssMiB} MiB`,
      figure: `${fmtMiB(c.result.maxRssKb)} MiB`,
      pass: mib(c.result.maxRssKb) < targets.maxPeakRssMiB,
    });
  }
  for (const c of cases) {
    if ((c.kind === 'pages' || c.kind === 'details') && (c.inFlight ?? 1) > 1 && c.floorRatio !== undefined) {
      checks.push({
        target: `${c.label}: ≤ ${targets.maxFloorRatio}× floor`,
        figure: `${c.floorRatio.toFixed(2)}× (${fmtS(c.result.wallMs)} s vs ${fmtS(c.floorMs ?? 0)} s)`,
        pass: c.floorRatio <= targets.maxFloorRatio,
      });
    }
  }
  return checks;
}

/** A markdown table (the first column left-aligned, the others right), then a blank line; none without rows. */
function table(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string[] {
  if (rows.length === 0) return [];
  return [
    `| ${headers.join(' | ')} |`,
    `| --- |${' ---: |'.repeat(headers.length - 1)}`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
  ];
}

const cpuSeconds = (r: EngineResult): string => ((r.userCpuMs + r.systemCpuMs) / 1000).toFixed(2);

export function markdownReport(cases: CaseResult[], checks: TargetCheck[]): string {
  const out: string[] = [];
  out.push(
    ...table(
      [
        'Throughput case',
        'Rows (verified)',
        'Wall (s)',
        'Rows/s',
        'Peak RSS (MiB)',
        'Start RSS (MiB)',
        'Peak heap (MiB)',
        'Engine CPU (s)',
        'Fake API CPU (s)',
        'Output',
      ],
      cases
        .filter((c) => c.kind === 'rows')
        .map(({ label, result: r, rowsPerSecond, serverCpuSeconds }) => [
          label,
          fmtInt(r.rows),
          fmtS(r.wallMs),
          fmtInt(rowsPerSecond),
          fmtMiB(r.maxRssKb),
          fmtMiB(r.startRssKb),
          fmtMiB(r.peakHeapUsedKb),
          cpuSeconds(r),
          serverCpuSeconds?.toFixed(2) ?? 'n/a',
          fmtBytes(r.outputBytes),
        ]),
    ),
  );
  out.push(
    ...table(
      [
        'Carol case',
        'Rows (verified in Carol)',
        'Wall (s)',
        'Rows/s',
        'Peak RSS (MiB)',
        'Engine CPU (s)',
        'Fake Carol CPU (s)',
        'Intake requests',
        'Sent (gzip)',
        'JSON (uncompressed)',
        'Ratio',
      ],
      cases
        .filter((c) => c.kind === 'carol')
        .map(({ label, result: r, rowsPerSecond, carolCpuSeconds, carolBytes: b }) => [
          label,
          fmtInt(r.rows),
          fmtS(r.wallMs),
          fmtInt(rowsPerSecond),
          fmtMiB(r.maxRssKb),
          cpuSeconds(r),
          carolCpuSeconds?.toFixed(2) ?? 'n/a',
          fmtInt(b?.requests ?? 0),
          b ? fmtBytes(b.gzip) : 'n/a',
          b ? fmtBytes(b.uncompressed) : 'n/a',
          b && b.gzip > 0 ? `${(b.uncompressed / b.gzip).toFixed(1)}×` : 'n/a',
        ]),
    ),
  );
  out.push(
    ...table(
      [
        'Latency case',
        'Requests',
        'Latency (ms)',
        'In flight',
        'Wall (s)',
        'Floor (s)',
        '× floor',
        'Peak RSS (MiB)',
        'Rows (verified)',
      ],
      cases
        .filter((c) => c.kind !== 'rows' && c.kind !== 'carol')
        .map((c) => [
          c.label,
          fmtInt(c.floorRequests ?? 0),
          c.latencyMs ?? 0,
          c.inFlight ?? 1,
          fmtS(c.result.wallMs),
          fmtS(c.floorMs ?? 0),
          c.floorRatio?.toFixed(2) ?? 'n/a',
          fmtMiB(c.result.maxRssKb),
          fmtInt(c.result.rows),
        ]),
    ),
  );
  if (checks.length > 0) {
    out.push('| Target | Figure | Result |', '| --- | --- | --- |');
    for (const check of checks)
      out.push(`| ${check.target} | ${check.figure} | ${check.pass ? 'PASS' : 'MISS'} |`);
    out.push('');
  }
  return out.join('\n');
}
