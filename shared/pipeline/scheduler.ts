/**
 * The scheduler: starts each config's due run exactly once, however many replicas
 * tick at once (a conditional slot claim decides), runs a slot missed during
 * downtime once (only the latest due slot is considered, never one per missed tick),
 * never starts a config that is still running, and fails runs that stopped making
 * progress. The first slot after a config was created runs, even when the scheduler
 * first sees the config after that slot; slots that passed while a config was
 * disabled are consumed without running, so enabling it runs its next slot, not a
 * catch-up of the old ones.
 */
import type { ApiConfig } from '../core/config/types';
import { parseConfig } from '../core/config/validate';
import type { ConfigRepository } from '../ports/configs';
import { parseSchedule, type Schedule } from '../core/schedule';
import type { Clock, Logger } from '../ports/logger';
import type { RunRecord, RunStore } from '../ports/runs';
import type { SlotStore } from '../ports/scheduler';
import { configIdOf } from '../core/ids';

/** A live config and when it was created (ISO-8601; its version 1), when known. */
export interface ScheduledConfig {
  config: ApiConfig;
  createdAt?: string;
}

export interface SchedulerDeps {
  listConfigs(): Promise<ScheduledConfig[]>;
  slots: SlotStore;
  runs: RunStore;
  startRun(config: ApiConfig): Promise<RunRecord>;
  clock: Clock;
  logger: Logger;
  /** Used by configs without `schedule` (the original tool's EVENT_BRIDGE_SCHEDULE); absent = none. */
  defaultSchedule?: string;
  /** Stuck-run detection: runs without progress for `afterMs` are failed with a reason. */
  stuck?: {
    afterMs: number;
    listRunning(): Promise<RunRecord[]>;
    fail(run: RunRecord, reason: string): Promise<void>;
  };
}

export interface TickReport {
  started: Array<{ configId: string; slot: string; runId: string }>;
  skippedRunning: string[];
  failedStuck: string[];
}

export class Scheduler {
  private readonly parsed = new Map<string, Schedule>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    if (deps.defaultSchedule) parseSchedule(deps.defaultSchedule);
  }

  private scheduleOf(config: ApiConfig): Schedule | undefined {
    const source = config.schedule ?? this.deps.defaultSchedule;
    if (!source) return undefined;
    let schedule = this.parsed.get(source);
    if (!schedule) {
      schedule = parseSchedule(source);
      this.parsed.set(source, schedule);
    }
    return schedule;
  }

  /** One pass: claim and start due runs, then fail stuck ones. Safe to run on several replicas at once. */
  async tick(): Promise<TickReport> {
    const now = this.deps.clock.now();
    const report: TickReport = { started: [], skippedRunning: [], failedStuck: [] };
    for (const { config, createdAt } of await this.deps.listConfigs()) {
      const configId = configIdOf(config);
      let schedule: Schedule | undefined;
      try {
        schedule = this.scheduleOf(config);
      } catch (err) {
        this.deps.logger.error('config has an invalid schedule', {
          config_id: configId,
          error: (err as Error).message,
        });
        continue;
      }
      const slot = schedule?.previous(now);
      if (!slot) continue;
      const slotIso = slot.toISOString();
      const claim = await this.deps.slots.claim(configId, slotIso);
      // A disabled config still moves its slot forward (nothing runs), so that
      // enabling it does not run a slot that passed while it was disabled.
      if (config.enabled === false) continue;
      // First seen: the slot is a baseline unless it came after the config's creation
      // (created at 20:15:58, first seen at 20:16:05: the 20:16:00 slot is its first).
      const firstSlotAfterCreation =
        claim === 'baseline' && createdAt !== undefined && slot.getTime() > Date.parse(createdAt);
      if (claim !== 'claimed' && !firstSlotAfterCreation) continue;
      const [latest] = await this.deps.runs.listRuns(configId, 1);
      if (latest?.status === 'running') {
        this.deps.logger.warn('scheduled run skipped: the previous run is still running', {
          config_id: configId,
          slot: slotIso,
        });
        report.skippedRunning.push(configId);
        continue;
      }
      try {
        const run = await this.deps.startRun(config);
        report.started.push({ configId, slot: slotIso, runId: run.runId });
        this.deps.logger.info('scheduled run started', {
          config_id: configId,
          slot: slotIso,
          run_id: run.runId,
        });
      } catch (err) {
        this.deps.logger.error('scheduled run could not start', {
          config_id: configId,
          slot: slotIso,
          error: (err as Error).message,
        });
      }
    }
    if (this.deps.stuck) {
      const { afterMs, listRunning, fail } = this.deps.stuck;
      for (const run of await listRunning()) {
        const idle = now.getTime() - Date.parse(run.updatedAt);
        if (idle < afterMs) continue;
        const reason = `no progress for ${Math.round(idle / 60_000)} minutes (limit ${Math.round(afterMs / 60_000)}): marked failed`;
        await fail(run, reason);
        report.failedStuck.push(run.runId);
        this.deps.logger.error('stuck run failed', { run_id: run.runId, reason });
      }
    }
    return report;
  }

  /** Ticks every `intervalMs` until {@link stop}; a tick never overlaps the previous one. */
  start(intervalMs: number): void {
    const loop = (): void => {
      this.ticking = this.tick()
        .catch((err: Error) => this.deps.logger.error('scheduler tick failed', { error: err.message }))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(loop, intervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}

/** Every live config; one that no longer parses (saved by an older version) is logged and skipped, not fatal to the tick. */
export async function liveConfigs(configs: ConfigRepository, logger: Logger): Promise<ScheduledConfig[]> {
  const parsed: ScheduledConfig[] = [];
  for (const version of await configs.list()) {
    try {
      parsed.push({ config: parseConfig(JSON.parse(version.json)), createdAt: version.createdAt });
    } catch (err) {
      logger.error('stored config is not valid; it is not scheduled', {
        config_id: version.configId,
        version: version.version,
        error: (err as Error).message,
      });
    }
  }
  return parsed;
}
