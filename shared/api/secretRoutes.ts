/**
 * `/secrets`: the extractor secrets `${secret::…}` reads. Root only, and write-only:
 * values go in, names and the origins each secret is bound to come out.
 */
import { type Request, type Response, Router } from 'express';
import type { SecretValue } from '../ports/secrets';
import { requireRoot } from './auth';
import type { ApiDeps } from './deps';
import { pathParam } from './params';
import { methodNotAllowed, notFound } from './errors';
import { parseWith, secretParamsSchema, secretSetSchema } from './schemas';

export function secretRoutes(deps: ApiDeps): Router {
  const router = Router();
  const { secretAdmin } = deps;
  router.use(requireRoot('manage secrets'));

  router
    .route('/')
    .get(async (_req: Request, res: Response) => {
      const secrets = await secretAdmin.list();
      res.json({
        Items: secrets.map((s) => s.name),
        Count: secrets.length,
        Origins: Object.fromEntries(secrets.map((s) => [s.name, s.origins])),
      });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/:name')
    .put(async (req: Request, res: Response) => {
      const { name } = parseWith<{ name: string }>(
        secretParamsSchema,
        { name: pathParam(req, 'name') },
        'path',
      );
      const { value, origins } = parseWith<{ value: SecretValue; origins?: string[] }>(
        secretSetSchema,
        req.body,
      );
      await secretAdmin.set(name, value, origins);
      res.json({ name, saved: true });
    })
    .delete(async (req: Request, res: Response) => {
      const name = pathParam(req, 'name');
      if (!(await secretAdmin.remove(name))) throw notFound();
      res.json({ name, deleted: true });
    })
    .all(methodNotAllowed(['PUT', 'DELETE']));

  return router;
}
