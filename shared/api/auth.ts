/**
 * API key authentication. The key comes in `Authorization`, raw (as the original
 * tool's clients send it) or as `Bearer <key>`. Missing or unknown: 401. Routes then
 * ask for the rights they need (`requireRoot`, `requireRootOrOwner`): 403.
 */
import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyIdentity, ApiKeyRepository } from '../ports/apiKeys';
import { forbidden, unauthorized } from './errors';
import { pathParam } from './params';

/** Who is calling: set by {@link authenticate}, read with {@link callerOf}. */
export type ApiCaller = ApiKeyIdentity;

const callers = new WeakMap<Request, ApiCaller>();

/** The key in an `Authorization` header value; undefined when there is none. */
export function presentedKey(header: string | undefined): string | undefined {
  const value = header?.trim();
  // A bare scheme (`Bearer`, once clients trim the header) carries no key.
  if (!value || /^Bearer$/i.test(value)) return undefined;
  const bearer = /^Bearer\s+(\S.*)$/i.exec(value);
  const key = (bearer ? bearer[1]! : value).trim();
  return key === '' ? undefined : key;
}

export function authenticate(keys: ApiKeyRepository) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const key = presentedKey(req.headers.authorization);
    if (key === undefined) throw unauthorized('missing API key: send it in the Authorization header');
    const caller = await keys.findByKey(key);
    if (!caller) throw unauthorized('invalid API key');
    callers.set(req, caller);
    next();
  };
}

export function callerOf(req: Request): ApiCaller {
  const caller = callers.get(req);
  // A route mounted without `authenticate` is a programming error, not a client's.
  if (!caller) throw new Error(`no authenticated caller for ${req.method} ${req.path}`);
  return caller;
}

/** Only the root key may `action` (e.g. "create API keys"). */
export function requireRoot(action: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!callerOf(req).root) throw forbidden(`only the root key can ${action}`);
    next();
  };
}

/** The root key, or the owner of the key named in the path (`:name`). */
export function requireRootOrOwner(action: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const caller = callerOf(req);
    if (!caller.root && caller.name !== pathParam(req, 'name')) {
      throw forbidden(`only the root key or the key's owner can ${action}`);
    }
    next();
  };
}
