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
 * `POST /validate`: checks the body as `POST /config` would, without saving anything
 * or fetching: 200 `{valid: true, details: []}`, or the 400 a refused save answers
 * (every issue with the path of the field it names). Editors call it as the user types.
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
      if (details.length > 0) throw invalidConfig(details);
      res.json({ valid: true, details: [] });
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
