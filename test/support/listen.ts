/** Listening on 127.0.0.1 for the ad-hoc upstreams of tests and the benchmark. */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `port` of 127.0.0.1 (default: a free one); `close()` also ends kept-alive connections. */
export async function listenLocal(
  server: http.Server,
  port = 0,
): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
