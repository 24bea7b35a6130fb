/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) by pipeline stage: self
 * time per function, with builtins (url '') charged to the nearest JavaScript caller's
 * stage, except JSON.parse / JSON.stringify and GC, which get their own lines.
 *
 *   node dist-bench/bench/profile.js .bench/profiles/rows-1000000.engine.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  stages: Array<{ stage: string; ms: number; pct: number }>;
  top: Array<{ fn: string; where: string; stage: string; ms: number; pct: number }>;
}

/** The stage of JavaScript code, from its script URL. */
function stageOfUrl(url: string): string | undefined {
  if (url === '') return undefined;
  if (url.includes('csv-stringify')) return 'CSV encode (csv-stringify)';
  if (url.includes('undici')) return 'HTTP client (undici)';
  if (url.includes('/shared/core/dataSchema') || url.includes('/shared/core/jsonField'))
    return 'mapping (data_schema)';
  if (url.includes('/shared/core/transformations')) return 'transformations';
  if (url.includes('/shared/output/')) return 'row encoders (shared/output)';
  if (url.includes('/shared/adapters/local/')) return 'disk (scratch/object store)';
  if (url.includes('/shared/extract/')) return 'extract (requests, pages)';
  if (url.includes('/shared/engine/')) return 'engine loop';
  if (url.includes('/services/cli/demoApi') || url.includes('/bench/workloadApi'))
    return 'fake API (page JSON building)';
  if (/node:(internal\/)?(fs|streams?|readline)|internal\/fs|internal\/streams/.test(url))
    return 'node fs/streams';
  if (/node:(internal\/)?(_http|http|net|dns|tls|stream_base)|internal\/http|_http_/.test(url))
    return 'node http/net';
  if (url.startsWith('node:')) return 'node (other)';
  return 'other JS';
}

function stageOfNode(node: ProfileNode, parentStage: string | undefined): string {
  const { functionName, url } = node.callFrame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle (waiting on I/O)';
  if (functionName === '(program)') return 'native/other (program)';
  if (functionName === '(root)') return 'root';
  // V8 counts the JSON.parse builtin in its caller's self time.
  if (functionName === 'parseJsonBody') return 'JSON.parse';
  if (url === '' && functionName === 'parse' && parentStage !== 'fake API (page JSON building)')
    return 'JSON.parse';
  if (url === '' && functionName === 'stringify') return 'JSON.stringify';
  return stageOfUrl(url) ?? parentStage ?? 'native/other (program)';
}

export function summarizeProfile(file: string, topN = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stageMemo = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = stageMemo.get(id);
    if (known !== undefined) return known;
    // Walk up iteratively to the nearest node whose stage is known or the root.
    const chain: number[] = [];
    let current: number | undefined = id;
    while (current !== undefined && !stageMemo.has(current)) {
      chain.push(current);
      current = parent.get(current);
    }
    let inherited = current === undefined ? undefined : stageMemo.get(current);
    for (let i = chain.length - 1; i >= 0; i--) {
      const nodeId = chain[i]!;
      const stage = stageOfNode(byId.get(nodeId)!, inherited === 'root' ? undefined : inherited);
      stageMemo.set(nodeId, stage);
      inherited = stage;
    }
    return stageMemo.get(id)!;
  };

  const selfUs = new Map<number, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    totalUs += delta;
  }
  const stages = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; stage: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const stage = stageOf(id);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '(builtin)' : `${basename(url)}:${lineNumber + 1}`;
    const key = `${functionName}@${where}`;
    const entry = functions.get(key) ?? { fn: functionName || '(anonymous)', where, stage, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const pct = (us: number): number => (totalUs > 0 ? (100 * us) / totalUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    stages: [...stages]
      .map(([stage, us]) => ({ stage, ms: us / 1000, pct: pct(us) }))
      .sort((a, b) => b.ms - a.ms),
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ fn: f.fn, where: f.where, stage: f.stage, ms: f.us / 1000, pct: pct(f.us) })),
  };
}

export function profileMarkdown(summary: ProfileSummary): string {
  const lines = [
    `Profile ${basename(summary.file)} (${(summary.totalMs / 1000).toFixed(2)} s sampled)`,
    '',
    '| Stage | ms | % |',
    '| --- | ---: | ---: |',
    ...summary.stages.map((s) => `| ${s.stage} | ${s.ms.toFixed(0)} | ${s.pct.toFixed(1)} |`),
    '',
    '| Function (self time) | Where | Stage | ms | % |',
    '| --- | --- | --- | ---: | ---: |',
    ...summary.top.map(
      (f) => `| ${f.fn} | ${f.where} | ${f.stage} | ${f.ms.toFixed(0)} | ${f.pct.toFixed(1)} |`,
    ),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: node dist-bench/bench/profile.js FILE.cpuprofile...\n');
    process.exitCode = 2;
  }
  for (const file of files) process.stdout.write(`${profileMarkdown(summarizeProfile(file))}\n\n`);
}
