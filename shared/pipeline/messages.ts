/**
 * Queue messages between the stages. Versioned and validated on receipt: a body that
 * does not parse can never succeed, so it goes straight to the dead-letter queue.
 */
import Joi from 'joi';
import type { QueueName } from '../ports/queue';
import type { PageCursorData } from '../ports/runs';

export interface PageTask {
  v: 1;
  type: 'page';
  runId: string;
  extractionId: string;
  cursor: PageCursorData;
}

export interface DetailTask {
  v: 1;
  type: 'detail';
  runId: string;
  extractionId: string;
  page: number;
  chunk: number;
  /**
   * How many chunks the page has (fixed when it was staged), so the detail-mapper need
   * not read the page record; absent in tasks sent by earlier versions.
   */
  chunks?: number;
}

export interface FinalizeTask {
  v: 1;
  type: 'finalize';
  runId: string;
  extractionId: string;
}

export interface TaskByQueue {
  pages: PageTask;
  details: DetailTask;
  finalize: FinalizeTask;
}

const id = Joi.string().min(1).max(200).required();
const index = Joi.number().integer().min(0).required();

const SCHEMAS: { [Q in QueueName]: Joi.ObjectSchema } = {
  pages: Joi.object({
    v: Joi.valid(1).required(),
    type: Joi.valid('page').required(),
    runId: id,
    extractionId: id,
    cursor: Joi.object({
      index,
      url: Joi.string(),
      query: Joi.object().pattern(Joi.string(), Joi.string()),
    }).required(),
  }),
  details: Joi.object({
    v: Joi.valid(1).required(),
    type: Joi.valid('detail').required(),
    runId: id,
    extractionId: id,
    page: index,
    chunk: index,
    chunks: Joi.number().integer().min(1),
  }),
  finalize: Joi.object({
    v: Joi.valid(1).required(),
    type: Joi.valid('finalize').required(),
    runId: id,
    extractionId: id,
  }),
};

export class InvalidMessageError extends Error {
  constructor(
    message: string,
    /** What could be read of the message, to fail its run. */
    readonly partial?: { runId?: unknown; extractionId?: unknown },
  ) {
    super(message);
    this.name = 'InvalidMessageError';
  }
}

export function parseTask<Q extends QueueName>(queue: Q, body: string): TaskByQueue[Q] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidMessageError(`${queue} message is not JSON`);
  }
  const { value, error } = SCHEMAS[queue].validate(json, {
    abortEarly: false,
    errors: { wrap: { label: false } },
  });
  if (error) {
    const partial = json && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
    throw new InvalidMessageError(`invalid ${queue} message: ${error.message}`, {
      runId: partial?.runId,
      extractionId: partial?.extractionId,
    });
  }
  return value as TaskByQueue[Q];
}

export function encodeTask(task: PageTask | DetailTask | FinalizeTask): string {
  return JSON.stringify(task);
}
