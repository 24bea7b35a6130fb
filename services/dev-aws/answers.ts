import http from 'node:http';

/**
 * One HTTP GET of `url`; true when anything answered (whatever the status), false on
 * a connection error or after a second without an answer. How `npm run dev:aws` and
 * the tests' moto launcher (test/support/moto.ts) wait for an emulator.
 */
export function answersHttp(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 1000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
