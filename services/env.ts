import { parseBucketList } from '../shared/core/bucketName';
import { parseSchedule } from '../shared/core/schedule';
import {
  configureProcessResponseBudget,
  DEFAULT_MAX_RESPONSE_MB,
  DEFAULT_RESPONSE_BUDGET_MB,
  ResponseBudgetSettingsError,
} from '../shared/extract/responseBudget';

/** Environment parsing for service entry points: every problem reported at once, by name. */

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  int(name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  text(name: string, fallback?: string): string | undefined {
    return this.env[name]?.trim() || fallback;
  }

  /** A comma-separated list of S3 bucket names, each checked; undefined when unset. */
  bucketList(name: string): string[] | undefined {
    if (!this.env[name]?.trim()) return undefined;
    const { buckets, problems } = parseBucketList(this.env[name], name);
    this.problems.push(...problems);
    return problems.length === 0 ? buckets : undefined;
  }

  /**
   * The default schedule of configs without one: `DEFAULT_SCHEDULE`, or the original
   * tool's `EVENT_BRIDGE_SCHEDULE`; a value that does not parse is a problem naming it.
   */
  defaultSchedule(): string | undefined {
    const name = this.text('DEFAULT_SCHEDULE') ? 'DEFAULT_SCHEDULE' : 'EVENT_BRIDGE_SCHEDULE';
    const value = this.text(name);
    if (value === undefined) return undefined;
    try {
      parseSchedule(value);
    } catch (err) {
      this.problems.push(`${name} is not a valid schedule: ${(err as Error).message}`);
    }
    return value;
  }

  flag(name: string): boolean {
    return this.env[name]?.trim() === 'true';
  }

  /** Throws {@link EnvError} listing every problem found so far. */
  done(extra: string[] = []): void {
    const all = [...this.problems, ...extra];
    if (all.length) throw new EnvError(all);
  }
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Installs this process's response memory budget from `RESPONSE_MEMORY_BUDGET_MB` and
 * `RESPONSE_MAX_BODY_MB` (see docs/config.md); a problem is added to the reader's.
 */
export function installResponseBudget(read: EnvReader): void {
  const mb = 1024 * 1024;
  const budget = read.int('RESPONSE_MEMORY_BUDGET_MB', DEFAULT_RESPONSE_BUDGET_MB, 3, 1_048_576);
  const maxBody = read.int('RESPONSE_MAX_BODY_MB', DEFAULT_MAX_RESPONSE_MB, 1, 349_525);
  try {
    configureProcessResponseBudget({ budgetBytes: budget * mb, maxResponseBytes: maxBody * mb });
  } catch (err) {
    if (!(err instanceof ResponseBudgetSettingsError)) throw err;
    read.problems.push(err.message);
  }
}
