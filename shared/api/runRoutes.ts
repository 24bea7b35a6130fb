/**
 * `/runs` (every run, newest first, filtered and paginated), `/runs/{id}` (run status
 * with live progress), `/runs/{id}/files/{extraction_id}` (a short-lived link to an
 * output file) and `/extractions/{id}/logs` (execution logs).
 */
import { type Request, type Response, Router } from 'express';
import type { RunListPosition, RunStatus } from '../ports/runs';
import type { ApiDeps } from './deps';
import { DOWNLOAD_LINK_SECONDS, type DownloadLinks, parseLocation } from './downloads';
import { pathParam } from './params';
import { invalidRequest, methodNotAllowed, notFound } from './errors';
import { allRunsQuerySchema, parseWith } from './schemas';
import { runStatus, runSummary } from './views';

interface AllRunsQuery {
  config_id?: string;
  status?: RunStatus;
  limit: number;
  cursor?: string;
}

/** The opaque `cursor` of a page position, and back (a cursor that does not decode is a 400). */
export function encodeCursor(position: RunListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.runId])).toString('base64url');
}

function decodeCursor(cursor: string): RunListPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return { createdAt: value[0] as string, runId: value[1] as string };
    }
  } catch {
    // Reported below.
  }
  throw invalidRequest('query string', [
    { path: 'cursor', message: '"cursor" must be the next_cursor of a previous page' },
  ]);
}

/** Mounted at `/runs`. */
export function runRoutes(deps: ApiDeps, links: DownloadLinks): Router {
  const router = Router();
  const { runs } = deps.pipeline;
  router
    .route('/')
    .get(async (req: Request, res: Response) => {
      const query = parseWith<AllRunsQuery>(allRunsQuerySchema, req.query, 'query string');
      const page = await runs.listAllRuns({
        configId: query.config_id,
        status: query.status,
        limit: query.limit,
        after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      });
      const items = page.runs.map(runSummary);
      res.json({
        Items: items,
        Count: items.length,
        next_cursor: page.next ? encodeCursor(page.next) : null,
      });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/:id')
    .get(async (req: Request, res: Response) => {
      const run = await runs.getRun(pathParam(req, 'id'));
      if (!run) throw notFound();
      const states = await Promise.all(run.extractionIds.map((id) => runs.getExtraction(run.runId, id)));
      res.json(runStatus(run, states));
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/:id/files/:extraction')
    .get(async (req: Request, res: Response) => {
      const runId = pathParam(req, 'id');
      const extractionId = pathParam(req, 'extraction');
      const run = await runs.getRun(runId);
      if (!run || !run.extractionIds.includes(extractionId)) throw notFound();
      const location = (await runs.getExtraction(runId, extractionId))?.log?.destiny;
      const file = parseLocation(location);
      if (!location || !file) {
        throw notFound(`extraction ${extractionId} of run ${runId} has no output file (yet)`);
      }
      const fileName = file.key.split('/').pop()!;
      res.json({
        extraction_id: extractionId,
        file_name: fileName,
        location,
        url: await links.link(file, fileName, DOWNLOAD_LINK_SECONDS),
        expires_in: DOWNLOAD_LINK_SECONDS,
      });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}

/** Mounted at `/extractions`. */
export function extractionLogRoutes(deps: ApiDeps): Router {
  const router = Router();
  router
    .route('/:id/logs')
    .get(async (req: Request, res: Response) => {
      // An extraction that never ran (or does not exist) simply has no logs, as in the original.
      const items = await deps.pipeline.executionLogs.list(pathParam(req, 'id'));
      res.json({ Items: items, Count: items.length });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
