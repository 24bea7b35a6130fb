/**
 * The dashboard: a static page (`/`) and its bundled assets (`/assets/…`), built by
 * `scripts/build-dashboard.js` into `dist/dashboard` (from `dashboard/`). The page
 * only calls this API with the key the user signs in with; it is served with a
 * Content-Security-Policy that allows no inline script and no other origin.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { methodNotAllowed } from './errors';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers of every dashboard answer (and of downloads). */
export function pageHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

/**
 * Where the built dashboard is: `dist/dashboard` next to the compiled API, or, when
 * the API runs from source (tests), the page's sources in `dashboard/public`.
 */
export function defaultDashboardDir(): string {
  const built = join(__dirname, '..', '..', 'dashboard');
  return existsSync(join(built, 'index.html')) ? built : join(built, 'public');
}

export function dashboardRoutes(dir: string): Router {
  const router = Router();
  router
    .route('/')
    .get(pageHeaders, (_req: Request, res: Response) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(dir, 'index.html'));
    })
    .all(methodNotAllowed(['GET']));
  router.use(
    '/assets',
    pageHeaders,
    express.static(join(dir, 'assets'), { fallthrough: true, index: false, cacheControl: true, maxAge: 0 }),
  );
  return router;
}
