/**
 * `/config`: the original tool's config routes (list, create, get, update, delete,
 * history, execute) and the extensions on a saved config (its runs, a preview).
 * Every change is saved as a new version with the caller's key name.
 */
import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import type { ApiConfig } from '../core/config/types';
import { startRun as pipelineStartRun } from '../pipeline/stages';
import type { ConfigVersion } from '../ports/configs';
import { callerOf } from './auth';
import {
  outputBucketIssues,
  type PreparedConfig,
  prepareNewConfig,
  prepareUnsavedConfig,
  prepareUpdatedConfig,
} from './configDocuments';
import type { ApiDeps } from './deps';
import { pathParam } from './params';
import { invalidConfig, methodNotAllowed, notFound } from './errors';
import { previewConfig } from './preview';
import { admitSecrets, type ConfigWarning } from './secretGate';
import { parseWith, previewQuerySchema, runsQuerySchema } from './schemas';
import { configDocument, historyItem, runSummary } from './views';

const DEFAULT_EXECUTE_WAIT_MS = 2_000;

export function configRoutes(deps: ApiDeps): Router {
  const router = Router();
  const { configs, pipeline } = deps;
  const now = (): string => pipeline.clock.now().toISOString();
  // Configs are answered (and stored) with the deployment's bucket where they name none.
  const bucket = pipeline.defaultBucket;
  const document = (version: ConfigVersion) => configDocument(version, bucket);

  const current = async (req: Request): Promise<ConfigVersion> => {
    const version = await configs.get(pathParam(req, 'id'));
    if (!version) throw notFound();
    return version;
  };

  /** A config this deployment may run: valid, and writing only where the deployment writes. */
  const accepted = (prepared: PreparedConfig): ApiConfig => {
    if (!prepared.ok) throw invalidConfig(prepared.issues);
    const issues = outputBucketIssues(prepared.config, pipeline);
    if (issues.length > 0) throw invalidConfig(issues);
    return prepared.config;
  };

  /** The saved config as a run or preview uses it (validated again: the schema may have grown since). */
  const runnable = (version: ConfigVersion): ApiConfig => accepted(prepareUnsavedConfig(document(version)));

  router
    .route('/')
    .get(async (_req: Request, res: Response) => {
      const items = (await configs.list()).map(document);
      res.json({ Items: items, Count: items.length });
    })
    .post(async (req: Request, res: Response) => {
      const body: unknown = req.body;
      const config = accepted(prepareNewConfig(body, randomUUID, bucket));
      const warnings = await admitSecrets(config, deps.secretAdmin);
      const saved = await configs.create({
        configId: config.id!,
        json: JSON.stringify(config),
        at: now(),
        by: callerOf(req).name,
      });
      res.json(withWarnings(document(saved), warnings));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/:id')
    .get(async (req: Request, res: Response) => {
      res.json(document(await current(req)));
    })
    .put(async (req: Request, res: Response) => {
      const version = await current(req);
      const body: unknown = req.body;
      const config = accepted(
        prepareUpdatedConfig(body, document(version) as ApiConfig, version.configId, randomUUID, bucket),
      );
      const warnings = await admitSecrets(config, deps.secretAdmin);
      const saved = await configs.update({
        configId: version.configId,
        expectedVersion: version.version,
        json: JSON.stringify(config),
        at: now(),
        by: callerOf(req).name,
      });
      res.json(withWarnings(document(saved), warnings));
    })
    .delete(async (req: Request, res: Response) => {
      const version = await current(req);
      await configs.delete({
        configId: version.configId,
        expectedVersion: version.version,
        at: now(),
        by: callerOf(req).name,
      });
      res.json({ id: version.configId, deleted: true });
    })
    .all(methodNotAllowed(['GET', 'PUT', 'DELETE']));

  router
    .route('/:id/history')
    .get(async (req: Request, res: Response) => {
      // A config that never existed has an empty history (200), as in the original tool.
      const versions = await configs.history(pathParam(req, 'id'));
      const items = versions.map((v) => historyItem(v, bucket));
      res.json({ Items: items, Count: items.length });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/:id/execute')
    .post(async (req: Request, res: Response) => {
      const config = runnable(await current(req));
      await admitSecrets(config, deps.secretAdmin);
      const runId = randomUUID();
      const start = deps.startRun ?? pipelineStartRun;
      const started = start(config, pipeline, { runId, trigger: 'api' });
      // Answer once the run is queued, or after a short wait (a slow token endpoint):
      // the run goes on either way, and a failure after the answer is logged.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), deps.executeWaitMs ?? DEFAULT_EXECUTE_WAIT_MS);
      });
      started.catch((err: unknown) =>
        pipeline.logger.error('run failed to start', {
          run_id: runId,
          config_id: config.id,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
      const run = await Promise.race([started, waited]).finally(() => clearTimeout(timer));
      res.json({
        run_id: runId,
        run_ids: [runId],
        config_id: config.id,
        status: run?.status ?? 'running',
        extraction_ids: config.extractions.map((e) => e.id),
      });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/:id/runs')
    .get(async (req: Request, res: Response) => {
      const { limit } = parseWith<{ limit: number }>(runsQuerySchema, req.query, 'query string');
      const id = pathParam(req, 'id');
      if ((await configs.history(id)).length === 0) throw notFound();
      const items = (await pipeline.runs.listRuns(id, limit)).map(runSummary);
      res.json({ Items: items, Count: items.length });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/:id/preview')
    .post(async (req: Request, res: Response) => {
      const options = parseWith<{ limit: number; extraction?: string }>(
        previewQuerySchema,
        req.query,
        'query string',
      );
      const config = runnable(await current(req));
      if (
        options.extraction !== undefined &&
        !config.extractions.some((e) => e.id === options.extraction || e.name === options.extraction)
      ) {
        throw notFound(`config ${config.id} has no extraction "${options.extraction}"`);
      }
      await admitSecrets(config, deps.secretAdmin);
      res.json({ Items: await previewConfig(config, pipeline, options) });
    })
    .all(methodNotAllowed(['POST']));

  return router;
}

/** The saved config, with `warnings` only when there are some (the original tool's answer otherwise). */
function withWarnings<T extends object>(
  saved: T,
  warnings: ConfigWarning[],
): T | (T & { warnings: ConfigWarning[] }) {
  return warnings.length > 0 ? { ...saved, warnings } : saved;
}
