/**
 * The scheduler with two replicas sharing one store, a clock moved across several
 * due slots: every due run starts exactly once; downtime yields one catch-up run;
 * a config still running is not started twice; stuck runs are failed.
 */
import { openDatabase } from '../../shared/adapters/embedded/database';
import { SqliteRunStore } from '../../shared/adapters/embedded/sqliteRunStore';
import { SqliteSlotStore } from '../../shared/adapters/embedded/sqliteSlotStore';
import { parseConfig } from '../../shared/core/config/validate';
import type { ApiConfig } from '../../shared/core/config/types';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedApiStores } from '../../shared/adapters/embedded/apiStores';
import { liveConfigs, Scheduler, type SchedulerDeps } from '../../shared/pipeline/scheduler';
import type { LogLine } from '../support/engineHarness';
import { captureLogger } from '../support/pipelineHarness';
import { silentLogger } from '../../shared/ports/logger';
import { type RunRecord, ZERO_COUNTERS } from '../../shared/ports/runs';

function setup(configs: ApiConfig[], defaultSchedule?: string, createdAt: Record<string, string> = {}) {
  const db = openDatabase(':memory:');
  const runs = new SqliteRunStore(db);
  const slots = new SqliteSlotStore(db);
  let now = new Date('2026-03-01T00:30:00Z');
  const started: Array<{ config: string; at: string; replica: number }> = [];
  let n = 0;
  const replica = (id: number): Scheduler => {
    const deps: SchedulerDeps = {
      listConfigs: async () => configs.map((c) => ({ config: c, createdAt: createdAt[c.id!] })),
      slots,
      runs,
      clock: { now: () => now },
      logger: silentLogger,
      defaultSchedule,
      startRun: async (config) => {
        const run: RunRecord = {
          runId: `run-${++n}`,
          configId: config.id!,
          configName: config.name,
          trigger: 'schedule',
          status: 'running',
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          configJson: JSON.stringify(config),
          extractionIds: [],
          counters: { ...ZERO_COUNTERS },
        };
        await runs.createRun(run, []);
        started.push({ config: config.id!, at: now.toISOString(), replica: id });
        return run;
      },
      stuck: {
        afterMs: 6 * 3600_000,
        listRunning: async () =>
          (await Promise.all(configs.map((c) => runs.listRuns(c.id!, 10))))
            .flat()
            .filter((r) => r.status === 'running'),
        fail: async (run, reason) => {
          await runs.finishRun(run.runId, 'failed', reason);
        },
      },
    };
    return new Scheduler(deps);
  };
  const finishAll = async () => {
    for (const c of configs)
      for (const r of await runs.listRuns(c.id!, 100)) await runs.finishRun(r.runId, 'succeeded');
  };
  return {
    replicas: [replica(1), replica(2)],
    started,
    runs,
    setNow: (iso: string) => (now = new Date(iso)),
    finishAll,
  };
}

const config = (id: string, extra: Record<string, unknown> = {}): ApiConfig =>
  parseConfig({
    id,
    name: id,
    extractions: [{ name: 'e', endpoint: { url: 'https://api.example/x' } }],
    ...extra,
  });

test('two replicas ticking across five daily slots start each due run exactly once', async () => {
  const s = setup([config('daily', { schedule: '0 1 * * ? *' })]);
  const ticks = [
    '2026-03-01T00:30:00Z',
    '2026-03-01T01:00:00Z',
    '2026-03-01T01:00:30Z',
    '2026-03-01T13:00:00Z',
  ];
  for (let day = 1; day <= 5; day++) {
    for (const t of ticks) {
      s.setNow(t.replace('03-01', `03-0${day}`));
      await Promise.all(s.replicas.map((r) => r.tick()));
      await Promise.all(s.replicas.map((r) => r.tick()));
    }
    await s.finishAll();
  }
  // The first tick only records a baseline (the config's slot before the scheduler knew it).
  expect(s.started.map((x) => x.at)).toEqual([
    '2026-03-01T01:00:00.000Z',
    '2026-03-02T01:00:00.000Z',
    '2026-03-03T01:00:00.000Z',
    '2026-03-04T01:00:00.000Z',
    '2026-03-05T01:00:00.000Z',
  ]);
});

test('after three days of downtime the missed slots yield one run, not three', async () => {
  const s = setup([config('daily', { schedule: '0 1 * * ? *' })]);
  await s.replicas[0]!.tick();
  s.setNow('2026-03-04T12:00:00Z');
  await Promise.all(s.replicas.map((r) => r.tick()));
  s.setNow('2026-03-04T12:01:00Z');
  await Promise.all(s.replicas.map((r) => r.tick()));
  expect(s.started).toHaveLength(1);
});

test('a config still running is not started again; disabled configs never run; the default schedule applies', async () => {
  const s = setup(
    [
      config('hourly', { schedule: '0 * * * ? *' }),
      config('off', { schedule: '0 * * * ? *', enabled: false }),
      config('default'),
    ],
    '30 * * * *',
  );
  for (const t of [
    '2026-03-01T00:59:00Z',
    '2026-03-01T01:00:00Z',
    '2026-03-01T02:00:00Z',
    '2026-03-01T02:31:00Z',
  ]) {
    s.setNow(t);
    await Promise.all(s.replicas.map((r) => r.tick()));
  }
  // hourly started at 01:00; its 02:00 slot found it still running and was skipped.
  // default (xx:30) started at 02:00 for its 01:30 slot; its 02:30 slot found it running.
  expect(s.started.map((x) => `${x.config}@${x.at.slice(11, 16)}`)).toEqual([
    'hourly@01:00',
    'default@02:00',
  ]);
});

test('a run without progress for longer than the limit is failed with a reason', async () => {
  const s = setup([config('daily', { schedule: '0 1 * * ? *' })]);
  s.setNow('2026-03-01T00:59:00Z');
  await s.replicas[0]!.tick();
  s.setNow('2026-03-01T01:00:00Z');
  await s.replicas[0]!.tick();
  s.setNow('2026-03-01T08:00:00Z');
  const report = await s.replicas[1]!.tick();
  expect(report.failedStuck).toEqual(['run-1']);
  expect(await s.runs.getRun('run-1')).toMatchObject({
    status: 'failed',
    error: 'no progress for 420 minutes (limit 360): marked failed',
  });
});

test('the first slot after a config is created runs, even when the scheduler first sees the config after it', async () => {
  // Created at 20:15:58 and 20:16:01 with "* * * * *"; the first tick is at 20:16:05.
  const s = setup(
    [config('early', { schedule: '* * * * *' }), config('late', { schedule: '* * * * *' })],
    undefined,
    {
      early: '2026-03-01T20:15:58.000Z',
      late: '2026-03-01T20:16:01.000Z',
    },
  );
  for (const t of ['20:16:05', '20:16:30', '20:17:02']) {
    s.setNow(`2026-03-01T${t}Z`);
    await Promise.all(s.replicas.map((r) => r.tick()));
    await s.finishAll();
  }
  expect(s.started.map((x) => `${x.config}@${x.at.slice(11, 19)}`)).toEqual([
    // The 20:16:00 slot came after early's creation: its first run. For late it came before: baseline.
    'early@20:16:05',
    'early@20:17:02',
    'late@20:17:02',
  ]);
});

test('enabling a config runs its next slot, not a catch-up of the slots that passed while it was disabled', async () => {
  const configs = [config('hourly', { schedule: '0 * * * ? *' })];
  const s = setup(configs);
  s.setNow('2026-03-01T00:30:00Z');
  await s.replicas[0]!.tick();
  s.setNow('2026-03-01T01:00:10Z');
  await s.replicas[0]!.tick();
  await s.finishAll();
  configs[0] = config('hourly', { schedule: '0 * * * ? *', enabled: false });
  for (const t of ['02:00:10', '03:00:10', '03:30:00']) {
    s.setNow(`2026-03-01T${t}Z`);
    await Promise.all(s.replicas.map((r) => r.tick()));
  }
  configs[0] = config('hourly', { schedule: '0 * * * ? *' });
  s.setNow('2026-03-01T03:40:00Z');
  await Promise.all(s.replicas.map((r) => r.tick()));
  s.setNow('2026-03-01T04:00:10Z');
  await Promise.all(s.replicas.map((r) => r.tick()));
  expect(s.started.map((x) => x.at.slice(11, 19))).toEqual(['01:00:10', '04:00:10']);
});

describe('the configs a scheduler sees', () => {
  test('a stored config that no longer validates (saved before a rule) is logged and skipped; the others are scheduled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'live-configs-'));
    const db = openDatabase(':memory:');
    const stores = embeddedApiStores(db, dir);
    try {
      const at = new Date().toISOString();
      const extraction = (name: string) => ({ name, endpoint: { url: 'https://api.example/x' } });
      await stores.configs.create({
        configId: 'ok',
        json: JSON.stringify({ id: 'ok', name: 'ok', extractions: [extraction('a')] }),
        at,
        by: 'root',
      });
      // Two extractions writing one file: refused at save time since, but stored before.
      await stores.configs.create({
        configId: 'clash',
        json: JSON.stringify({ id: 'clash', name: 'clash', extractions: [extraction('a'), extraction('b')] }),
        at,
        by: 'root',
      });
      const lines: LogLine[] = [];
      const live = await liveConfigs(stores.configs, captureLogger(lines));
      expect(live.map((c) => c.config.id)).toEqual(['ok']);
      expect(live[0]!.createdAt).toBe(at);
      expect(lines).toEqual([
        expect.objectContaining({
          message: 'stored config is not valid; it is not scheduled',
          fields: expect.objectContaining({ config_id: 'clash' }),
        }),
      ]);
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
