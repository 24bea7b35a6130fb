import type { Request } from 'express';

/** A named path parameter (`:id`); express types allow arrays for wildcards, which these routes have none of. */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw new Error(`route ${req.path} has no :${name} parameter`);
  return value;
}
