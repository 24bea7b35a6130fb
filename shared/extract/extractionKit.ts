/**
 * Everything a run needs to make requests, built in one place for the three ways a
 * config is carried out: the command line's in-process loop, the pipeline's stages and
 * preview.
 *
 * A {@link RunSession} is one run's secrets, redactor and access token; its
 * {@link RunSession.extraction} builds one extraction's {@link ExtractionKit}: the
 * connection pool and retrying client, the paginator, the page and detail fetchers and
 * the row mapper. The session owns every pool it opened and closes them together.
 */
import type { ApiConfig, Extraction } from '../core/config/types';
import { configIdOf, extractionIdOf } from '../core/ids';
import { referenceLookup } from '../core/lookup';
import { Redactor } from '../core/redact';
import type { ReferenceLookup } from '../core/references';
import { compileRecordMapper, type RecordMapper, type Row } from '../core/rowMapping';
import type { SecretScope } from '../core/secretOrigins';
import { redactingLogger } from '../observability/redactingLogger';
import { type Clock, type Logger, silentLogger } from '../ports/logger';
import type { RateBudgetStore, RequestGate } from '../ports/rateBudget';
import type { SecretStore, TokenStore } from '../ports/storage';
import { AuthenticatedClient, TokenManager } from './auth';
import { createExtractionHttp, createTokenEndpointHttp } from './clientFactory';
import type { Semaphore } from './concurrency';
import { type DetailOutcome, DetailFetcher } from './detailFetcher';
import type { ClientEvents, HttpTransport } from './http';
import { PageFetcher } from './pageFetcher';
import { createPaginator, type Paginator } from './pagination';
import type { ResponseBudget } from './responseBudget';
import { budgetGate, processRateBudgetStore, SharedBudget } from './rateBudget';
import { PREVIEW_TOKEN_POLICY, previewHttp } from './retryPolicy';
import { loadSecrets, type RunSecrets, secretScope } from './secrets';

/** What a session needs from the outside world. */
export interface SessionDeps {
  secrets: SecretStore;
  clock: Clock;
  /** Without one, no log lines (preview). */
  logger?: Logger;
  /** Let configs reach link-local/metadata addresses (off by default). */
  allowLinkLocal?: boolean;
  /** Memory budget for response bodies; default the process-wide one. */
  responseBudget?: ResponseBudget;
  /**
   * Where each upstream's rate and in-flight budgets are shared between processes;
   * default this process's memory (one process: the command line, the embedded mode).
   */
  rateBudgets?: RateBudgetStore;
}

export interface SessionOptions {
  /** Names the run in logs and, with `tokenStore`, the stored token. */
  runId: string;
  /** Where the access token is kept between processes; none = it lives in this session only. */
  tokenStore?: TokenStore;
  /**
   * A preview answers a person waiting on it: a few quick tries, short timeouts,
   * whatever the extraction says.
   */
  preview?: boolean;
}

/** One extraction, ready to request pages and details. */
export interface ExtractionKit {
  extraction: Extraction;
  /** Its position (0-based) in `config.extractions`. */
  position: number;
  extractionId: string;
  paginator: Paginator;
  fetcher: PageFetcher;
  /** Undefined without `mapping_fetch`. */
  details: DetailFetcher | undefined;
  mapper: RecordMapper;
  /** Requests and retries since the last call. */
  takeCounters(): { requests: number; retries: number };
}

export class RunSession {
  readonly redactor = new Redactor();
  /** The values `${secret::…}` reads. */
  readonly secrets: Record<string, unknown>;
  /** Keeps each secret on the origins it is bound to. */
  readonly scope: SecretScope;
  readonly tokens: TokenManager;
  /** The deployment's logger, redacting every secret and token of the run. */
  readonly logger: Logger;
  private readonly transports: HttpTransport[] = [];
  private readonly budgets: SharedBudget[] = [];

  private constructor(
    readonly config: ApiConfig,
    loaded: RunSecrets,
    private readonly deps: SessionDeps,
    private readonly options: SessionOptions,
  ) {
    this.secrets = loaded.values;
    this.redactor.addAll(this.secrets);
    this.scope = secretScope(config, loaded);
    this.logger = deps.logger ? redactingLogger(deps.logger, this.redactor) : silentLogger;
    const { transport, client } = createTokenEndpointHttp({
      allowLinkLocal: deps.allowLinkLocal,
      budget: deps.responseBudget,
      policy: options.preview ? PREVIEW_TOKEN_POLICY : undefined,
    });
    this.transports.push(transport);
    this.tokens = new TokenManager({
      auth: config.auth,
      lookup: this.lookup(undefined),
      scope: this.scope,
      client,
      redactor: this.redactor,
      clock: deps.clock,
      store: options.tokenStore,
      tokenKey: options.runId,
      refreshKey: `config:${configIdOf(config)}`,
      onRefresh: () =>
        this.logger.info('access token refreshed', { config: config.name, run_id: options.runId }),
    });
  }

  static async open(config: ApiConfig, deps: SessionDeps, options: SessionOptions): Promise<RunSession> {
    return new RunSession(config, await loadSecrets(deps.secrets), deps, options);
  }

  /** Refuses a config that would send a secret to an origin it is not bound to, then gets the token. */
  async start(): Promise<void> {
    this.scope.assertConfig();
    await this.tokens.start();
  }

  /** Resolves `self`, `secret` and `last` (the previous run's record) references. */
  lookup(previousLast: unknown): ReferenceLookup {
    return referenceLookup({
      config: this.config,
      secrets: this.secrets,
      previousLast,
      token: () => this.tokens.current(),
    });
  }

  /**
   * The kit of the extraction at `position`; `previousLast` is the record the previous
   * successful run ended on (`${last::…}`). `events` hears of every request and retry.
   */
  extraction(position: number, previousLast: unknown, events: ClientEvents = {}): ExtractionKit {
    const extraction = this.config.extractions[position];
    if (!extraction) throw new RangeError(`the config has no extraction at position ${position}`);
    const extractionId = extractionIdOf(this.config, extraction);
    let requests = 0;
    let retries = 0;
    const http = this.options.preview ? previewHttp(extraction.http) : extraction.http;
    const paginator = createPaginator(extraction.pagination);
    const { transport, client, detailClient } = createExtractionHttp(http, {
      allowLinkLocal: this.deps.allowLinkLocal,
      budget: this.deps.responseBudget,
      events: {
        onRequest: () => {
          requests++;
          events.onRequest?.();
        },
        onRetry: (e) => {
          retries++;
          this.logger.warn('retrying request', {
            run_id: this.options.runId,
            extraction: extraction.name,
            extraction_id: extractionId,
            attempt: e.attempt,
            delay_ms: e.delayMs,
            reason: e.reason,
            url: e.url,
          });
          events.onRetry?.(e);
        },
      },
      gates: this.gates(extractionId, http.requests_per_second, paginator.pagesInFlight, extraction),
    });
    this.transports.push(transport);
    const authed = new AuthenticatedClient(client, this.tokens);
    const detailAuthed = new AuthenticatedClient(detailClient, this.tokens);
    const lookup = this.lookup(previousLast);
    return {
      extraction,
      position,
      extractionId,
      paginator,
      fetcher: new PageFetcher(extraction, authed, lookup, this.scope, position),
      details: extraction.mapping_fetch
        ? new DetailFetcher(
            extraction.mapping_fetch,
            detailAuthed,
            lookup,
            this.scope,
            extraction.format === 'csv',
            `extractions[${position}].mapping_fetch`,
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

  /**
   * The extraction's budgets, shared by every process that runs the config (the key
   * names the config and the extraction, not the run): `requests_per_second` for all
   * its requests, `pages_in_flight` pages and `mapping_fetch.concurrency` details in
   * flight at once, and the pauses a 429 or `Retry-After` asks for.
   */
  private gates(
    extractionId: string,
    requestsPerSecond: number | undefined,
    pagesInFlight: number,
    extraction: Extraction,
  ): { pages: RequestGate; details: RequestGate } {
    const store = this.deps.rateBudgets ?? processRateBudgetStore();
    const key = `${configIdOf(this.config)}/${extractionId}`;
    const budget = (suffix: string, limits: ConstructorParameters<typeof SharedBudget>[2]): SharedBudget => {
      const made = new SharedBudget(store, `${key}/${suffix}`, limits);
      this.budgets.push(made);
      return made;
    };
    const upstream = budget('rate', { requestsPerSecond });
    return {
      pages: budgetGate(budget('pages', { inFlight: pagesInFlight }), upstream),
      details: budgetGate(
        budget('details', { inFlight: extraction.mapping_fetch?.concurrency ?? 1 }),
        upstream,
      ),
    };
  }

  /** Releases every connection pool the session opened, and its shares of the budgets. */
  async close(): Promise<void> {
    await Promise.allSettled([
      ...this.transports.map((t) => t.close()),
      ...this.budgets.map((b) => b.close()),
    ]);
  }
}

/**
 * The details of `rows` (mapped from `records`, in the same order), at most as many
 * requests at once as `slots` allows; `onRequest` hears of each before it is sent.
 */
export function fetchDetails(
  details: DetailFetcher,
  rows: readonly Row[],
  records: readonly unknown[],
  slots: Semaphore,
  signal?: AbortSignal,
  onRequest?: () => void,
): Promise<DetailOutcome[]> {
  return Promise.all(
    rows.map((row, i) =>
      slots.run(() => {
        signal?.throwIfAborted();
        onRequest?.();
        return details.fetch(row, records[i], signal);
      }),
    ),
  );
}

/** Adds each found detail's columns to its row; `warn` hears why a row has none. */
export function applyDetails(
  rows: Row[],
  outcomes: readonly DetailOutcome[],
  warn: (message: string) => void,
): void {
  outcomes.forEach((outcome, i) => {
    if (outcome.found) Object.assign(rows[i]!, outcome.columns);
    else warn(detailWarning(outcome.reason));
  });
}

/** The warning of a row kept without its details. */
export function detailWarning(reason: string): string {
  return `mapping_fetch kept a row without details: ${reason}`;
}
