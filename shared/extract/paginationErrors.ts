/** Why a pagination stops for good, and what identifies a page's request. */
import { createHash } from 'node:crypto';
import { PermanentFailure } from '../core/errors';

export class PaginationLimitError extends PermanentFailure {
  constructor(maxPages: number) {
    super(
      `pagination did not end within max_pages (${maxPages}); raise pagination.parameters.max_pages if this is expected`,
    );
    this.name = 'PaginationLimitError';
  }
}

/** A following pagination asked for a page it already had: it would never end. */
export class PaginationLoopError extends PermanentFailure {
  constructor(index: number, earlier: number, url: string) {
    super(
      `pagination loops: page ${index + 1} would repeat the request of page ${earlier + 1} (${url}); the upstream's next link or cursor points back`,
    );
    this.name = 'PaginationLoopError';
  }
}

/** Offset pagination cannot trust where it is: a total it cannot read, or a page short of it. */
export class PaginationTotalError extends PermanentFailure {
  constructor(message: string) {
    super(message);
    this.name = 'PaginationTotalError';
  }
}

/** What identifies a page's request (a digest: URLs may carry secrets). */
export function requestDigest(url: string): string {
  // 128 bits of SHA-256: collisions are out of reach at any max_pages, and a million fit in ~40 MB.
  return createHash('sha256').update(url).digest().subarray(0, 16).toString('base64url');
}
