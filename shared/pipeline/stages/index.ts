/**
 * The pipeline's stages, one module per service, as docs/pipeline.md describes:
 * startRun (config-api, scheduler) -> page tasks (page-fetcher) -> detail tasks
 * (detail-mapper) -> finalize (writer). Every handler is idempotent under
 * at-least-once delivery: work is keyed by its identity (run, extraction, page, chunk)
 * and completion is a conditional write.
 */
export { startRun, type StartOptions } from './start';
export { handlePageTask } from './page';
export { handleDetailTask } from './detail';
export { handleFinalizeTask } from './write';
