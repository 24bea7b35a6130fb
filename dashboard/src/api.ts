/**
 * The dashboard's client of the config API: every call sends the key in the
 * `Authorization` header (never in a URL), and a failure becomes an {@link ApiFailure}
 * carrying the API's `{error, details}`.
 */

export interface Issue {
  path: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Issue[] = [],
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

export interface Client {
  call<T = Json>(method: string, path: string, body?: unknown): Promise<T>;
}

export function createClient(key: string): Client {
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { Authorization: key };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (err) {
        throw new ApiFailure(0, `the API did not answer: ${(err as Error).message}`);
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!res.ok) {
        const answer = (parsed ?? {}) as { error?: string; details?: Issue[] };
        throw new ApiFailure(res.status, answer.error ?? `HTTP ${res.status}`, answer.details ?? []);
      }
      return parsed as T;
    },
  };
}

/** A path with its query string, each value encoded. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
