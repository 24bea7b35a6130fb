/**
 * `/api-keys`: root lists the keys' names and creates a key per person; the root key or the key's owner
 * refreshes or deletes it. A key is shown once, when issued. The root key may
 * rotate itself (the old key stops working at once) unless `ROOT_API_KEY` sets it;
 * it cannot be deleted.
 */
import { type Request, type Response, Router } from 'express';
import { requireRoot, requireRootOrOwner } from './auth';
import type { ApiDeps } from './deps';
import { pathParam } from './params';
import { ApiError, forbidden, methodNotAllowed, notFound } from './errors';
import { apiKeyCreateSchema, parseWith } from './schemas';

export function keyRoutes(deps: ApiDeps): Router {
  const router = Router();
  const { apiKeys } = deps;

  router
    .route('/')
    .get(requireRoot('list API keys'), async (_req: Request, res: Response) => {
      const items = await apiKeys.list();
      res.json({ Items: items, Count: items.length });
    })
    .post(requireRoot('create API keys'), async (req: Request, res: Response) => {
      const { name } = parseWith<{ name: string }>(apiKeyCreateSchema, req.body);
      const issued = await apiKeys.create(name);
      res.json({ name: issued.name, api_key: issued.apiKey });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/:name/refresh')
    .post(requireRootOrOwner('refresh this API key'), async (req: Request, res: Response) => {
      const name = pathParam(req, 'name');
      if (deps.rootKeySource === 'environment' && (await apiKeys.get(name))?.root) {
        throw new ApiError(409, {
          error:
            'the root key is set by ROOT_API_KEY: rotate it by changing ROOT_API_KEY and restarting the service',
        });
      }
      const issued = await apiKeys.refresh(name);
      res.json({ name: issued.name, api_key: issued.apiKey });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/:name')
    .delete(requireRootOrOwner('delete this API key'), async (req: Request, res: Response) => {
      const name = pathParam(req, 'name');
      const key = await apiKeys.get(name);
      if (!key) throw notFound();
      if (key.root) throw forbidden(`"${name}" is the root key: it cannot be deleted through the API`);
      await apiKeys.delete(name);
      res.json({ name, deleted: true });
    })
    .all(methodNotAllowed(['DELETE']));

  return router;
}
