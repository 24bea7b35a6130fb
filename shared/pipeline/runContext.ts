/**
 * What a worker process needs to handle tasks of one run, built once per run and
 * cached: the run record, its config snapshot and its session (secrets, redactor, the
 * shared token), and per extraction its kit (HTTP pool, paginator, fetchers, mapper).
 */
import type { ApiConfig } from '../core/config/types';
import type { LogIdentity } from '../core/executionLog';
import type { Redactor } from '../core/redact';
import { type ExtractionKit, RunSession } from '../extract/extractionKit';
import type { Logger } from '../ports/logger';
import type { RunRecord } from '../ports/runs';
import type { PipelineDeps } from './deps';

export class RunGoneError extends Error {}

export interface ExtractionContext extends ExtractionKit {
  /** The previous successful run's `last` record, as of this run's start. */
  previousLast: unknown;
}

/** Staged pages a worker keeps read (LRU): a page's detail chunks each need its records. */
const STAGED_PAGES_KEPT = 4;

export class RunContext {
  private readonly extractions = new Map<string, Promise<ExtractionContext>>();
  private readonly stagedPages = new Map<string, Promise<unknown[]>>();

  private constructor(
    readonly run: RunRecord,
    readonly session: RunSession,
    private readonly deps: PipelineDeps,
  ) {}

  get config(): ApiConfig {
    return this.session.config;
  }

  get redactor(): Redactor {
    return this.session.redactor;
  }

  get logger(): Logger {
    return this.session.logger;
  }

  static async load(runId: string, deps: PipelineDeps): Promise<RunContext> {
    const run = await deps.runs.getRun(runId);
    if (!run) throw new RunGoneError(`run ${runId} does not exist`);
    const context = await RunContext.open(run, JSON.parse(run.configJson) as ApiConfig, deps);
    await context.session.tokens.resume();
    return context;
  }

  /** Used by startRun, which creates the run rather than loading it. */
  static async open(run: RunRecord, config: ApiConfig, deps: PipelineDeps): Promise<RunContext> {
    const session = await RunSession.open(config, deps, { runId: run.runId, tokenStore: deps.tokens });
    return new RunContext(run, session, deps);
  }

  /** Which extraction of which run a log is about. */
  identity(extractionId: string): LogIdentity {
    const extraction = this.config.extractions[this.run.extractionIds.indexOf(extractionId)];
    return {
      extractionName: extraction?.name ?? extractionId,
      extractionId,
      configName: this.run.configName,
      configId: this.run.configId,
      runId: this.run.runId,
      startedAt: new Date(this.run.createdAt),
    };
  }

  extraction(extractionId: string): Promise<ExtractionContext> {
    let context = this.extractions.get(extractionId);
    if (!context) {
      context = this.buildExtraction(extractionId);
      this.extractions.set(extractionId, context);
      context.catch(() => this.extractions.delete(extractionId));
    }
    return context;
  }

  /**
   * A staged page's records, read with `read` once while among the last few asked for. A
   * staged page never changes once its page record exists, which a detail task implies.
   */
  stagedPage(extractionId: string, index: number, read: () => Promise<unknown[]>): Promise<unknown[]> {
    const key = `${index} ${extractionId}`;
    let records = this.stagedPages.get(key);
    if (records) {
      this.stagedPages.delete(key);
    } else {
      records = read();
      records.catch(() => this.stagedPages.delete(key));
    }
    this.stagedPages.set(key, records);
    while (this.stagedPages.size > STAGED_PAGES_KEPT)
      this.stagedPages.delete(this.stagedPages.keys().next().value as string);
    return records;
  }

  private async buildExtraction(extractionId: string): Promise<ExtractionContext> {
    const position = this.run.extractionIds.indexOf(extractionId);
    const state = await this.deps.runs.getExtraction(this.run.runId, extractionId);
    if (!this.config.extractions[position] || !state)
      throw new RunGoneError(`run ${this.run.runId} has no extraction ${extractionId}`);
    return { ...this.session.extraction(position, state.previousLast), previousLast: state.previousLast };
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/**
 * Per-process cache of run contexts. A worker sees many runs over its life; the
 * least recently used context is closed (its connection pools released) once more
 * than `maxRuns` are cached, and loaded again if a late task of its run arrives.
 */
export class RunContexts {
  private readonly contexts = new Map<string, Promise<RunContext>>();
  constructor(
    private readonly deps: PipelineDeps,
    private readonly maxRuns = 32,
  ) {}

  get(runId: string): Promise<RunContext> {
    let context = this.contexts.get(runId);
    if (context) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.contexts.delete(runId);
      this.contexts.set(runId, context);
      return context;
    }
    context = RunContext.load(runId, this.deps);
    this.contexts.set(runId, context);
    context.catch(() => this.contexts.delete(runId));
    while (this.contexts.size > this.maxRuns) {
      const oldest = this.contexts.keys().next().value as string;
      void this.evict(oldest).catch(() => undefined);
    }
    return context;
  }

  async evict(runId: string): Promise<void> {
    const context = this.contexts.get(runId);
    this.contexts.delete(runId);
    if (context) await (await context).close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.contexts.values()];
    this.contexts.clear();
    await Promise.allSettled(all.map(async (c) => (await c).close()));
  }
}
