/** `POST /preview`: the first page of an unsaved config, mapped, with nothing written. */
import { type Request, type Response, Router } from 'express';
import { outputBucketIssues, prepareUnsavedConfig } from './configDocuments';
import type { ApiDeps } from './deps';
import { badRequest, invalidConfig, invalidRequest, methodNotAllowed } from './errors';
import { previewConfig } from './preview';
import { admitSecrets } from './secretGate';
import { parseWith, previewQuerySchema } from './schemas';

export function previewRoutes(deps: ApiDeps): Router {
  const router = Router();
  router
    .route('/')
    .post(async (req: Request, res: Response) => {
      const options = parseWith<{ limit: number; extraction?: string }>(
        previewQuerySchema,
        req.query,
        'query string',
      );
      const body: unknown = req.body;
      const result = prepareUnsavedConfig(body);
      if (!result.ok) throw invalidConfig(result.issues);
      const { extraction } = options;
      if (
        extraction !== undefined &&
        !result.config.extractions.some((e) => e.id === extraction || e.name === extraction)
      ) {
        throw badRequest(`the config has no extraction "${extraction}"`);
      }
      await admitSecrets(result.config, deps.secretAdmin);
      res.json({ Items: await previewConfig(result.config, deps.pipeline, options) });
    })
    .all(methodNotAllowed(['POST']));
  return router;
}

/**
 * `POST /validate`: the issues saving the body would meet (each with the path of the
 * field it names), without saving anything; 200 whether valid or not, for editors
 * checking as the user types. A body that is not a JSON object is no config to check: 400.
 */
export function validateRoutes(deps: ApiDeps): Router {
  const router = Router();
  router
    .route('/')
    .post((req: Request, res: Response) => {
      const body: unknown = req.body;
      // An empty body parses as `{}`: it is no config either.
      const empty = req.headers['content-length'] === '0';
      if (empty || typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw invalidRequest('request body', [{ path: '', message: 'the config must be a JSON object' }]);
      }
      const result = prepareUnsavedConfig(body);
      const details = result.ok ? outputBucketIssues(result.config, deps.pipeline) : result.issues;
      res.json({ valid: details.length === 0, details });
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
