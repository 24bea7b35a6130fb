/**
 * Schedules: AWS EventBridge 6-field cron (`0 1 * * ? *`: minute hour day-of-month
 * month day-of-week year, `?` allowed, day-of-week 1-7 = SUN-SAT) or classic
 * 5-field cron (day-of-week 0-6 = SUN-SAT). Always UTC.
 */
import type { CronExpressionParser as CronParser } from 'cron-parser';
import { ConfigError } from './errors';

export interface Schedule {
  readonly source: string;
  /** The latest slot at or before `at` (undefined when there is none within a year). */
  previous(at: Date): Date | undefined;
  /** The first slot strictly after `after`. */
  next(after: Date): Date | undefined;
}

const YEAR_SEARCH_LIMIT = 400;

/**
 * cron-parser (and luxon under it, about 20 modules) loaded by the first schedule
 * parsed, not by every module that imports this one: a run without a schedule never
 * needs it (docs/benchmarks.md, "Start-up: what a run loads before its first request").
 */
function cronParser(): typeof CronParser {
  return require('cron-parser').CronExpressionParser;
}

/**
 * The module's `require`, declared here rather than through Node's types: the dashboard
 * (compiled without them, bundled for the browser by esbuild) imports this module too.
 */
declare function require(id: 'cron-parser'): typeof import('cron-parser');

/**
 * Longer than any real cron expression (a list of every minute is under 200
 * characters). Checked before anything reads the text: cron-parser's own cost on
 * long input is not ours to bound.
 */
export const MAX_SCHEDULE_LENGTH = 256;

/** @throws ConfigError naming what is wrong with the expression. */
export function parseSchedule(source: string): Schedule {
  if (source.length > MAX_SCHEDULE_LENGTH) {
    throw new ConfigError(`must be at most ${MAX_SCHEDULE_LENGTH} characters`);
  }
  // EventBridge writes `cron(0 1 * * ? *)`: the expression inside is what counts.
  const wrapped = /^cron\((.*)\)$/i.exec(source.trim());
  const fields = (wrapped ? wrapped[1]! : source).trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new ConfigError(`expected 5 fields (cron) or 6 fields (AWS cron), got ${fields.length}`);
  }
  let cron: string;
  let yearMatches: (year: number) => boolean = () => true;
  if (fields.length === 6) {
    const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
    cron = [minute, hour, dom.replace('?', '*'), month, awsDayOfWeek(dow.replace('?', '*'))].join(' ');
    yearMatches = yearPredicate(year);
  } else {
    cron = fields.map((f) => f.replace('?', '*')).join(' ');
  }
  const parser = cronParser();
  const expression = (currentDate: Date) => {
    try {
      return parser.parse(cron, { currentDate, tz: 'UTC' });
    } catch (err) {
      throw new ConfigError(`invalid cron expression "${source}": ${(err as Error).message}`, { cause: err });
    }
  };
  expression(new Date(0));
  const step = (from: Date, forward: boolean): Date | undefined => {
    const it = expression(from);
    for (let i = 0; i < YEAR_SEARCH_LIMIT; i++) {
      let date: Date;
      try {
        date = (forward ? it.next() : it.prev()).toDate();
      } catch {
        return undefined;
      }
      if (yearMatches(date.getUTCFullYear())) return date;
    }
    return undefined;
  };
  return {
    source,
    next: (after) => step(after, true),
    // cron-parser's prev() is strictly before; a slot exactly at `at` counts as due.
    previous: (at) => step(new Date(at.getTime() + 1), false),
  };
}

/** AWS numbers days 1-7 from Sunday; classic cron 0-6 from Sunday. */
function awsDayOfWeek(field: string): string {
  return field.replace(/(^|[,\-/#])(\d+)/g, (match, lead: string, n: string) => {
    if (lead === '/' || lead === '#') return match;
    const day = Number(n);
    if (day < 1 || day > 7) throw new ConfigError(`AWS day-of-week must be 1-7 (SUN-SAT), got ${n}`);
    return `${lead}${day - 1}`;
  });
}

function yearPredicate(field: string): (year: number) => boolean {
  if (field === '*' || field === '?') return () => true;
  const parts = field.split(',').map((part) => {
    const m = /^(\d{4})(?:-(\d{4}))?$/.exec(part);
    if (!m) throw new ConfigError(`year field "${field}" must be *, a year, a range or a list of them`);
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    return (year: number) => year >= from && year <= to;
  });
  return (year) => parts.some((p) => p(year));
}
