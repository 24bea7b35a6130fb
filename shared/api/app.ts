/**
 * The config API as an express app (no `listen`: the composition root or a test
 * does that). Routes and codes as the original tool (docs/api.md); every answer is JSON, every error
 * `{"error": …}`, and nothing past the auth check runs for an unknown key.
 *
 * @example
 * const app = createApp({ pipeline: system.deps, ...embeddedApiStores(system.db, dataDir) });
 * app.listen(8080, '127.0.0.1');
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import { authenticate, callerOf } from './auth';
import { configRoutes } from './configRoutes';
import type { ApiDeps } from './deps';
import { errorHandler, loggedPath, methodNotAllowed, routeNotFound } from './errors';
import { keyRoutes } from './keyRoutes';
import { buildOpenApiDocument } from './openapi';
import { dashboardRoutes, defaultDashboardDir, pageHeaders } from './dashboard';
import { downloadRoutes, SignedDownloads } from './downloads';
import { previewRoutes, validateRoutes } from './previewRoutes';
import { extractionLogRoutes, runRoutes } from './runRoutes';
import { secretRoutes } from './secretRoutes';

export const DEFAULT_BODY_LIMIT = '1mb';

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const { logger } = deps.pipeline;
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // Any content type: the original tool's clients (and `curl -d`) do not always say JSON.
  const json = express.json({ limit: bodyLimit, strict: false, type: () => true });
  const auth = authenticate(deps.apiKeys);
  const openapi = buildOpenApiDocument();

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug('request', {
        method: req.method,
        path: loggedPath(req.originalUrl),
        status: res.statusCode,
        ms: Math.round(ms),
      });
    });
    next();
  });

  app
    .route('/health')
    .get((_req: Request, res: Response) => {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  app
    .route('/openapi.json')
    .get((_req: Request, res: Response) => {
      res.json(openapi);
    })
    .all(methodNotAllowed(['GET']));
  // Swagger UI's page loads its assets relative to itself: it must be served as `/docs/`.
  app.get('/docs', (req: Request, res: Response, next: NextFunction) => {
    if (req.originalUrl === '/docs') res.redirect(301, '/docs/');
    else next();
  });
  app
    .route('/docs/')
    .get(swaggerUi.setup(openapi, { customSiteTitle: 'API Extractor API' }))
    .all(methodNotAllowed(['GET']));
  // Its assets come from node_modules (swagger-ui-dist), no CDN; `serveFiles` keeps this
  // app's document in its own init script (`serve` shares one across the process).
  app.use('/docs', swaggerUi.serveFiles(openapi));

  app.use(dashboardRoutes(deps.dashboardDir ?? defaultDashboardDir()));
  const signed = new SignedDownloads(deps.pipeline.clock);
  app.use('/downloads', pageHeaders, downloadRoutes(signed, deps.pipeline.objects));

  app
    .route('/me')
    .get(auth, (req: Request, res: Response) => {
      const { name, root } = callerOf(req);
      res.json({ name, root });
    })
    .all(methodNotAllowed(['GET']));
  app.use('/config', auth, json, configRoutes(deps));
  app.use('/preview', auth, json, previewRoutes(deps));
  app.use('/validate', auth, json, validateRoutes(deps));
  app.use('/runs', auth, runRoutes(deps, deps.downloadLinks ?? signed));
  app.use('/extractions', auth, extractionLogRoutes(deps));
  app.use('/api-keys', auth, json, keyRoutes(deps));
  app.use('/secrets', auth, json, secretRoutes(deps));

  app.use(routeNotFound);
  app.use(errorHandler(logger, bodyLimit));
  return app;
}
