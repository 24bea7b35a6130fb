/**
 * Short-lived links to a run's output files, so a browser downloads a file without
 * the API key in a URL. On AWS the link is an S3 presigned URL (the composition root
 * passes {@link DownloadLinks} built on the S3 client); otherwise the API signs its
 * own `/downloads/{token}` links, served by {@link downloadRoutes} from the object
 * store. A token names one object, expires after {@link DOWNLOAD_LINK_SECONDS}, and is
 * signed with a key that lives only in this process (a restart invalidates links).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import type { Clock } from '../ports/logger';
import type { ObjectStore } from '../ports/storage';
import { methodNotAllowed, notFound } from './errors';
import { pathParam } from './params';

export const DOWNLOAD_LINK_SECONDS = 300;

/** An object of the store: where an output file is. */
export interface StoredFile {
  bucket: string;
  key: string;
}

export interface DownloadLinks {
  /** A link that downloads `file` as `fileName`, valid for `seconds`. */
  link(file: StoredFile, fileName: string, seconds: number): Promise<string>;
}

/** The bucket and key of an `s3://bucket/key` location; undefined for any other text. */
export function parseLocation(location: string | null | undefined): StoredFile | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location ?? '');
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

interface TokenBody {
  b: string;
  k: string;
  n: string;
  /** Expiry, epoch milliseconds. */
  e: number;
}

/** Links signed by this process, and the reading of its own tokens. */
export class SignedDownloads implements DownloadLinks {
  private readonly secret = randomBytes(32);

  constructor(private readonly clock: Clock) {}

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  async link(file: StoredFile, fileName: string, seconds: number): Promise<string> {
    const body: TokenBody = {
      b: file.bucket,
      k: file.key,
      n: fileName,
      e: this.clock.now().getTime() + seconds * 1000,
    };
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    return `/downloads/${payload}.${this.sign(payload)}`;
  }

  /** The file a token names; undefined when it is forged, altered or expired. */
  read(token: string): (StoredFile & { fileName: string }) | undefined {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let body: TokenBody;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenBody;
    } catch {
      return undefined;
    }
    if (typeof body.e !== 'number' || body.e < this.clock.now().getTime()) return undefined;
    return { bucket: body.b, key: body.k, fileName: body.n };
  }
}

/** `Content-Disposition` for a file name, ASCII fallback plus RFC 5987 form. */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Mounted at `/downloads`: the file a valid token names, from the object store. */
export function downloadRoutes(signed: SignedDownloads, objects: ObjectStore): Router {
  const router = Router();
  router
    .route('/:token')
    .get(async (req: Request, res: Response) => {
      const file = signed.read(pathParam(req, 'token'));
      // Forged, altered and expired links are all "not found": nothing tells them apart.
      if (!file) throw notFound('this download link is invalid or has expired: ask for a new one');
      const body = await objects.get(file.bucket, file.key);
      if (!body) throw notFound();
      res.setHeader('Content-Type', file.fileName.endsWith('.json') ? 'application/json' : 'text/csv');
      res.setHeader('Content-Disposition', attachment(file.fileName));
      res.setHeader('Cache-Control', 'no-store');
      res.end(body);
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
