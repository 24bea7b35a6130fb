/** The life of a fake server process of the benchmark (fakeApiMain, fakeCarolMain). */

/**
 * Prints `LISTENING {url}` and serves until SIGTERM or SIGINT; then `beforeClose`
 * (once), then `close`; the exit code says whether closing worked.
 */
export function serveUntilSignal(
  name: string,
  server: { url: string; close(): Promise<void> },
  beforeClose: () => void = () => undefined,
): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    beforeClose();
    server.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`${name} close failed: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`LISTENING ${server.url}\n`);
}

/** A server script's entry: a start-up failure is printed and exits 2. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
