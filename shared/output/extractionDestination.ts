/**
 * Which destination an extraction writes to, decided in one place for both run loops:
 * the file of `s3_destiny`, a Carol staging table (`carol_destiny` with
 * `write_file: false`), or both (`write_file: true`, the default).
 */
import type { RunSession } from '../extract/extractionKit';
import type { ResponseBudget } from '../extract/responseBudget';
import type { Clock } from '../ports/logger';
import { carolDestination } from './carolDestination';
import { type Destination, fileDestination, type FileDestinationDeps, type RowSink } from './destination';

export interface DestinationDeps extends FileDestinationDeps {
  clock: Clock;
  /** Deployment-level: let configs reach link-local/metadata addresses (off by default). */
  allowLinkLocal?: boolean;
  responseBudget?: ResponseBudget;
}

/** The destination of the extraction at `position` of the session's config. */
export function extractionDestination(
  session: RunSession,
  position: number,
  deps: DestinationDeps,
): Destination {
  const extraction = session.config.extractions[position];
  const file = fileDestination(deps);
  if (!extraction?.carol_destiny) return file;
  const carol = carolDestination({
    at: `extractions[${position}].carol_destiny`,
    lookup: session.lookup(undefined),
    scope: session.scope,
    redactor: session.redactor,
    allowLinkLocal: deps.allowLinkLocal,
    budget: deps.responseBudget,
    clock: deps.clock,
    onRetry: (e) =>
      session.logger.warn('retrying a Carol request', {
        extraction: extraction.name,
        attempt: e.attempt,
        delay_ms: e.delayMs,
        reason: e.reason,
      }),
  });
  return extraction.carol_destiny.write_file ? bothDestinations(file, carol) : carol;
}

/**
 * Every row to both: the file's receipt names the `destiny`, Carol's adds its load.
 * The file is completed first: Carol's summary, which starts its processing and cannot
 * be taken back, is the last thing an extraction does.
 */
export function bothDestinations(file: Destination, carol: Destination): Destination {
  return {
    async open(target) {
      const fileSink = await file.open(target);
      let carolSink: RowSink;
      try {
        carolSink = await carol.open(target);
      } catch (err) {
        await fileSink.dispose();
        throw err;
      }
      return {
        async write(rows) {
          await carolSink.write(rows);
          await fileSink.write(rows);
        },
        get rowCount() {
          return fileSink.rowCount;
        },
        async finish() {
          const written = await fileSink.finish();
          const loaded = await carolSink.finish();
          return { destiny: written.destiny, carol: loaded.carol };
        },
        async dispose() {
          await Promise.allSettled([fileSink.dispose(), carolSink.dispose()]);
        },
      };
    },
  };
}
