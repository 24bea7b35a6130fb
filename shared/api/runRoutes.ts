/** `/runs/{id}` (run status with live progress) and `/extractions/{id}/logs` (execution logs). */
import { type Request, type Response, Router } from 'express';
import type { ApiDeps } from './deps';
import { pathParam } from './params';
import { methodNotAllowed, notFound } from './errors';
import { runStatus } from './views';

/** Mounted at `/runs`. */
export function runRoutes(deps: ApiDeps): Router {
  const router = Router();
  const { runs } = deps.pipeline;
  router
    .route('/:id')
    .get(async (req: Request, res: Response) => {
      const run = await runs.getRun(pathParam(req, 'id'));
      if (!run) throw notFound();
      const states = await Promise.all(run.extractionIds.map((id) => runs.getExtraction(run.runId, id)));
      res.json(runStatus(run, states));
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
