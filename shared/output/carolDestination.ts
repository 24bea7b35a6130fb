/**
 * A Carol staging table as a destination: rows are sent as they arrive, at most
 * `records_per_request` rows and `max_request_bytes` bytes of JSON a request (each a
 * gzip-compressed JSON array), one request on its way while the next is built, so
 * memory stays flat however many rows a run has. One
 * batch per run and extraction, its id derived from both (a restarted writer sends the
 * same batch), `batchIdSequence` counting requests from 1; the summary with the exact
 * totals only once every request was received. A failed request fails the output and
 * no summary is sent.
 *
 * Requests are a pure function of the rows in order: the same rows give the same
 * requests, byte for byte (gzip output is deterministic for the same input and level),
 * which is what lets the pipeline's writer resend a batch after a crash (see
 * docs/pipeline.md).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CarolDestiny } from '../core/config/types';
import { PermanentFailure } from '../core/errors';
import type { Row } from '../core/rowMapping';
import {
  type BatchSummary,
  CarolClient,
  type CarolClientOptions,
  type CarolSchema,
} from '../extract/carolClient';
import type { CarolLoadLog } from '../ports/executionLog';
import type { Clock } from '../ports/logger';
import type { Destination, OutputReceipt, OutputTarget, RowSink } from './destination';

const gzipAsync = promisify(gzip);

export interface CarolDestinationOptions extends Omit<CarolClientOptions, 'destiny' | 'http'> {
  clock: Clock;
}

/** The batch id of one run's load of one extraction: a UUID derived from both (version 5 layout). */
export function carolBatchId(runId: string, extractionId: string): string {
  const hash = createHash('sha1').update(`api-extractor carol batch\n${runId}\n${extractionId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `2026-01-01T01:00:00Z`: the summary's timestamps. */
export function carolTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What the log's `destiny` says when Carol is the only destination. */
export function carolDestinyText(destiny: CarolDestiny): string {
  return `carol:${destiny.url.replace(/\/+$/, '')}/staging/${destiny.table}`;
}

export function carolDestination(options: CarolDestinationOptions): Destination {
  return {
    async open(target) {
      const destiny = target.extraction.carol_destiny;
      if (!destiny) throw new PermanentFailure(`${options.at}: the extraction has no carol_destiny`);
      const client = new CarolClient({ ...options, destiny, http: target.extraction.http });
      return new CarolSink(client, destiny, target, options);
    },
  };
}

/** The Carol type of a value, for a schema inferred from the data. */
export function carolTypeOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'nested';
  return 'object';
}

class CarolSink implements RowSink {
  private parts: string[] = [];
  /** Bytes of the pending request's JSON array so far (brackets and commas included). */
  private bytes = 2;
  private sequence = 0;
  private sent = 0;
  private taken = 0;
  /** The request on its way: the next is sent only once Carol received it (sequence numbers may not skip ahead). */
  private inFlight: Promise<void> | undefined;
  /** The first request's rows, kept only until the schema is settled. */
  private sample: Row[] | undefined;
  readonly batchId: string;

  constructor(
    private readonly client: CarolClient,
    private readonly destiny: CarolDestiny,
    private readonly target: OutputTarget,
    private readonly options: CarolDestinationOptions,
  ) {
    this.batchId = carolBatchId(target.runId, target.extractionId);
    if (destiny.schema !== 'keep') this.sample = [];
  }

  get rowCount(): number {
    return this.taken;
  }

  async write(rows: readonly Row[]): Promise<void> {
    const { records_per_request: perRequest, max_request_bytes: maxBytes } = this.destiny;
    for (const row of rows) {
      this.taken++;
      for (const field of this.destiny.crosswalk) {
        const value = row[field];
        if (value === undefined || value === null) {
          throw new PermanentFailure(
            `${this.options.at}.crosswalk: row ${this.taken} has no value for "${field}"; every row loaded into Carol needs its crosswalk fields`,
          );
        }
      }
      const json = JSON.stringify(row);
      const size = Buffer.byteLength(json);
      if (size + 2 > maxBytes) {
        throw new PermanentFailure(
          `${this.options.at}.max_request_bytes: row ${this.taken} is ${size} bytes as JSON, more than one request may carry (${maxBytes})`,
        );
      }
      if (this.parts.length > 0 && (this.parts.length >= perRequest || this.bytes + 1 + size > maxBytes)) {
        await this.flush();
      }
      this.bytes += size + (this.parts.length > 0 ? 1 : 0);
      this.parts.push(json);
      if (this.sample && this.sample.length < perRequest) this.sample.push(row);
    }
    if (this.parts.length >= perRequest) await this.flush();
  }

  async finish(): Promise<OutputReceipt> {
    if (this.parts.length > 0) await this.flush();
    await this.inFlight;
    const log: CarolLoadLog = {
      destination: this.destiny.url,
      table: this.destiny.table,
      batch_id: this.batchId,
      requests: this.sequence,
      records: this.sent,
    };
    if (this.sequence === 0) return { destiny: null, carol: log };
    // A writer restarted after the summary sends the very same summary again.
    const end = carolTimestamp(this.options.clock.now());
    const summary: BatchSummary = {
      totalRecords: this.sent,
      totalRequests: this.sequence,
      timestampStart: carolTimestamp(this.target.startedAt),
      timestampEnd: this.target.settle ? await this.target.settle('carol-summary-end', end) : end,
    };
    await this.client.summary(this.batchId, summary);
    return { destiny: carolDestinyText(this.destiny), carol: log };
  }

  async dispose(): Promise<void> {
    this.parts = [];
    // A request still on its way (the run failed elsewhere) is given up, not waited for.
    const sending = this.inFlight;
    await this.client.close();
    await sending?.catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.sample) await this.settleSchema(this.sample);
    const count = this.parts.length;
    const text = `[${this.parts.join(',')}]`;
    this.parts = [];
    this.bytes = 2;
    // Compressed while the previous request is on its way; sent once that one is received.
    const body = await gzipAsync(text);
    await this.inFlight;
    const sequence = ++this.sequence;
    const sending = this.client
      .intake(this.destiny.table, this.destiny.intake, this.batchId, sequence, body)
      .then(() => {
        this.sent += count;
      });
    // Its failure surfaces at the next flush or at finish; never as an unhandled rejection.
    sending.catch(() => undefined);
    this.inFlight = sending;
  }

  /** `schema: create` creates the table's schema when it has none; `update` creates or replaces it. */
  private async settleSchema(rows: readonly Row[]): Promise<void> {
    this.sample = undefined;
    const { table, schema: mode } = this.destiny;
    const existing = await this.client.getSchema(table);
    if (existing !== undefined && mode === 'create') return;
    await this.client.saveSchema(table, this.schemaOf(rows), existing !== undefined);
  }

  private schemaOf(rows: readonly Row[]): CarolSchema {
    const columns = [...(this.target.columns ?? [])];
    for (const row of rows)
      for (const name of Object.keys(row)) if (!columns.includes(name)) columns.push(name);
    const types = this.destiny.schema_types ?? {};
    const properties: Record<string, { type: string }> = {};
    for (const column of columns) {
      let type: string | undefined = Object.hasOwn(types, column) ? types[column] : undefined;
      for (let i = 0; type === undefined && i < rows.length; i++) type = carolTypeOf(rows[i]![column]);
      properties[column] = { type: type ?? 'string' };
    }
    return {
      mdmFlexible: false,
      mdmExportData: false,
      mdmStagingMapping: { properties },
      mdmCrosswalkTemplate: { mdmCrossreference: { [this.destiny.table]: [...this.destiny.crosswalk] } },
    };
  }
}
