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
