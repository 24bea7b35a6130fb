/**
 * How the API answers failures: always `{"error": …}` JSON, never a stack trace.
 * Errors of the stores and of the body parser are translated by one table here,
 * so routes just throw (or let a store's error propagate).
 */
import type { NextFunction, Request, Response } from 'express';
import type { ValidationIssue } from '../core/config/validate';
import { ApiKeyExistsError, ApiKeyNotFoundError, RootApiKeyError } from '../ports/apiKeys';
import { ConfigConflictError, ConfigNotFoundError, ConfigTooLargeError } from '../ports/configs';
import type { Logger } from '../ports/logger';

export interface ErrorBody {
  error: string;
  /** Every validation issue, each with its path. */
  details?: ValidationIssue[];
}

/** An error with the status and body the client gets. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    options?: { cause?: unknown },
  ) {
    super(body.error, options);
    this.name = 'ApiError';
  }
}

/** The original tool's wording, kept for scripts that compare it. */
export const NOT_FOUND = 'Not found';

export const notFound = (message = NOT_FOUND): ApiError => new ApiError(404, { error: message });
export const badRequest = (message: string): ApiError => new ApiError(400, { error: message });
export const unauthorized = (message: string): ApiError => new ApiError(401, { error: message });
export const forbidden = (message: string): ApiError => new ApiError(403, { error: message });
export const invalidConfig = (details: ValidationIssue[]): ApiError =>
  new ApiError(400, { error: 'invalid config', details });
/** `what`: "request body", "query string" or "path". */
export const invalidRequest = (what: string, details: ValidationIssue[]): ApiError =>
  new ApiError(400, { error: `invalid ${what}`, details });

/**
 * A request's path as the logs show it: without the query string, and without the
 * token of a download link (it grants its file for minutes).
 */
export function loggedPath(url: string): string {
  return (url.split('?')[0] ?? '').replace(/^\/downloads\/[^/]+/, '/downloads/[token]');
}

/** The path as the client sent it (inside a router `req.path` is relative to the mount point). */
const fullPath = (req: Request): string => req.originalUrl.split('?')[0] ?? req.path;

/** What body-parser (through http-errors) throws. */
interface HttpError {
  status: number;
  expose: boolean;
  type?: string;
  message: string;
}

function isHttpError(err: unknown): err is HttpError {
  if (!(err instanceof Error)) return false;
  const { status, expose } = err as Error & { status?: unknown; expose?: unknown };
  return typeof status === 'number' && typeof expose === 'boolean';
}

/** Translates a thrown error into the answer, or undefined for an unexpected one (500). */
export function toApiError(err: unknown, bodyLimit: string): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof ConfigNotFoundError || err instanceof ApiKeyNotFoundError) return notFound();
  if (err instanceof ConfigConflictError) {
    return new ApiError(409, { error: `${err.message}; read it again and retry` });
  }
  if (err instanceof ApiKeyExistsError) return new ApiError(409, { error: err.message });
  if (err instanceof ConfigTooLargeError) return new ApiError(413, { error: err.message });
  if (err instanceof RootApiKeyError) return forbidden(err.message);
  if (isHttpError(err) && err.status >= 400 && err.status < 500) {
    if (err.type === 'entity.parse.failed') return badRequest(`malformed JSON body: ${err.message}`);
    if (err.type === 'entity.too.large') {
      return new ApiError(413, { error: `request body is larger than the limit of ${bodyLimit}` });
    }
    if (err.expose) return new ApiError(err.status, { error: err.message });
    return new ApiError(err.status, { error: 'bad request' });
  }
  return undefined;
}

export function sendError(res: Response, error: ApiError): void {
  res.status(error.status).json(error.body);
}

/** The last middleware: answers every error as JSON; unexpected ones are logged and answer 500. */
export function errorHandler(logger: Logger, bodyLimit: string) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = toApiError(err, bodyLimit);
    if (known) {
      sendError(res, known);
      return;
    }
    logger.error('request failed', {
      method: req.method,
      path: loggedPath(fullPath(req)),
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    res.status(500).json({ error: 'internal error' } satisfies ErrorBody);
  };
}

/** For paths no route serves. */
export function routeNotFound(req: Request, res: Response): void {
  sendError(res, notFound(`no route for ${req.method} ${fullPath(req)}`));
}

/** For a known path asked with a method it does not serve. */
export function methodNotAllowed(allowed: string[]) {
  return (req: Request, res: Response): void => {
    res.setHeader('Allow', allowed.join(', '));
    sendError(
      res,
      new ApiError(405, {
        error: `${req.method} is not allowed on ${fullPath(req)} (allowed: ${allowed.join(', ')})`,
      }),
    );
  };
}
