/**
 * What a worker process needs to handle tasks of one run, built once per run and
 * cached: the config snapshot, secrets, the redactor, the shared token, and per
 * extraction its HTTP pool, paginator, fetchers and mapper.
 */
import type { ApiConfig, Extraction } from '../core/config/types';
import { Redactor } from '../core/redact';
import { compileRecordMapper, type RecordMapper } from '../core/rowMapping';
import { referenceLookup } from '../engine/lookup';
import { redactingLogger } from '../engine/redactingLogger';
import { loadSecrets, type RunSecrets, secretScope } from '../engine/secrets';
import type { SecretScope } from '../core/secretOrigins';
import { AuthenticatedClient, TokenManager } from '../extract/auth';
import { createExtractionHttp, createTokenEndpointHttp } from '../extract/clientFactory';
import { DetailFetcher } from '../extract/detailFetcher';
import type { HttpTransport } from '../extract/http';
import { PageFetcher } from '../extract/pageFetcher';
import { createPaginator, type Paginator } from '../extract/pagination';
import type { Logger } from '../ports/logger';
import type { RunCounters, RunRecord } from '../ports/runs';
import type { PipelineDeps } from './deps';

export class RunGoneError extends Error {}

export interface ExtractionContext {
  extraction: Extraction;
  extractionId: string;
  previousLast: unknown;
  paginator: Paginator;
  fetcher: PageFetcher;
  details: DetailFetcher | undefined;
  mapper: RecordMapper;
  /** Requests and retries since the last call; flushed into the run's counters after each task. */
  takeCounters(): Partial<RunCounters>;
}

export class RunContext {
  readonly redactor = new Redactor();
  readonly logger: Logger;
  private readonly extractions = new Map<string, Promise<ExtractionContext>>();
  private readonly transports: HttpTransport[] = [];
  readonly tokens: TokenManager;
  readonly secrets: Record<string, unknown>;
  /** Keeps each secret on the origins it is bound to. */
  readonly scope: SecretScope;

  private constructor(
    readonly run: RunRecord,
    readonly config: ApiConfig,
    secrets: RunSecrets,
    private readonly deps: PipelineDeps,
  ) {
    this.secrets = secrets.values;
    this.scope = secretScope(config, secrets);
    this.redactor.addAll(this.secrets);
    this.logger = redactingLogger(deps.logger, this.redactor);
    const { transport: tokenTransport, client: tokenClient } = createTokenEndpointHttp({
      allowLinkLocal: deps.allowLinkLocal,
      budget: deps.responseBudget,
    });
    this.transports.push(tokenTransport);
    this.tokens = new TokenManager({
      auth: config.auth,
      lookup: referenceLookup({
        config,
        secrets: this.secrets,
        previousLast: undefined,
        token: () => this.tokens.current(),
      }),
      scope: this.scope,
      client: tokenClient,
      redactor: this.redactor,
      clock: deps.clock,
      store: deps.tokens,
      tokenKey: run.runId,
      onRefresh: () => this.logger.info('access token refreshed', { run_id: run.runId }),
    });
  }

  static async load(runId: string, deps: PipelineDeps): Promise<RunContext> {
    const run = await deps.runs.getRun(runId);
    if (!run) throw new RunGoneError(`run ${runId} does not exist`);
    const config = JSON.parse(run.configJson) as ApiConfig;
    const secrets = await loadSecrets(deps.secrets);
    const context = new RunContext(run, config, secrets, deps);
    await context.tokens.resume();
    return context;
  }

  /** Used by startRun, which creates the run rather than loading it. */
  static forNewRun(run: RunRecord, config: ApiConfig, secrets: RunSecrets, deps: PipelineDeps): RunContext {
    return new RunContext(run, config, secrets, deps);
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

  private async buildExtraction(extractionId: string): Promise<ExtractionContext> {
    const index = this.run.extractionIds.indexOf(extractionId);
    const extraction = this.config.extractions[index];
    const state = await this.deps.runs.getExtraction(this.run.runId, extractionId);
    if (!extraction || !state)
      throw new RunGoneError(`run ${this.run.runId} has no extraction ${extractionId}`);
    let requests = 0;
    let retries = 0;
    const { transport, client } = createExtractionHttp(extraction.http, {
      allowLinkLocal: this.deps.allowLinkLocal,
      budget: this.deps.responseBudget,
      events: {
        onRequest: () => requests++,
        onRetry: (e) => {
          retries++;
          this.logger.warn('retrying request', {
            run_id: this.run.runId,
            attempt: e.attempt,
            delay_ms: e.delayMs,
            reason: e.reason,
            url: e.url,
          });
        },
      },
    });
    this.transports.push(transport);
    const authed = new AuthenticatedClient(client, this.tokens);
    const lookup = referenceLookup({
      config: this.config,
      secrets: this.secrets,
      previousLast: state.previousLast,
      token: () => this.tokens.current(),
    });
    return {
      extraction,
      extractionId,
      previousLast: state.previousLast,
      paginator: createPaginator(extraction.pagination),
      fetcher: new PageFetcher(extraction, authed, lookup, this.scope, index),
      details: extraction.mapping_fetch
        ? new DetailFetcher(
            extraction.mapping_fetch,
            authed,
            lookup,
            this.scope,
            extraction.format === 'csv',
            `extractions[${index}].mapping_fetch`,
          )
        : undefined,
      mapper: compileRecordMapper(extraction),
      takeCounters: () => {
        const taken = { requests, retries };
        requests = retries = 0;
        return taken;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.transports.map((t) => t.close()));
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
