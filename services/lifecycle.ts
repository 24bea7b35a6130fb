import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from '../shared/ports/logger';

/**
 * Listens on `host:port`; rejects, naming HOST and PORT, when it cannot (the port is
 * taken, the address is not this machine's), rather than going on without a server.
 */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) reject(new Error(`cannot listen on ${host}:${port} (HOST, PORT): ${err.message}`));
      else resolve(server);
    });
  });
}

/**
 * On SIGTERM (how ECS stops a task) or SIGINT: run `stop` once, which drains
 * in-flight work, then let the process exit 0 (1 if stopping failed).
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('draining in-flight work', { signal });
    stop().then(
      () => {
        logger.info('stopped');
        process.exitCode = 0;
      },
      (err: Error) => {
        logger.error('stop failed', { error: err.message });
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
