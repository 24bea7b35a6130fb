/**
 * The ObjectStore contract: what every object store adapter (S3, local files) does.
 *
 * Hook: `makeStore()` returns a fresh store and the name of a bucket that exists
 * and is empty (`subject.bucket`).
 */
import type { Chunk, ObjectStore } from '../../shared/ports/storage';
import { withFixture, type MakeFixture } from './fixture';

export interface ObjectStoreSubject {
  store: ObjectStore;
  /** An existing, empty bucket. */
  bucket: string;
}

/** More than S3's 5 MiB minimum part, so the write is a real multipart upload. */
const MULTIPART_BYTES = 6 * 1024 * 1024;

class BodyFailure extends Error {}

async function* chunks(...parts: Chunk[]): AsyncGenerator<Chunk> {
  for (const part of parts) yield part;
}

async function* failingAfter(bytes: number, error: Error): AsyncGenerator<Chunk> {
  const piece = Buffer.alloc(256 * 1024, 'x');
  for (let sent = 0; sent < bytes; sent += piece.length) yield piece;
  throw error;
}

export function describeObjectStoreContract(name: string, makeStore: MakeFixture<ObjectStoreSubject>): void {
  const withStore = (body: (s: ObjectStoreSubject) => Promise<void>) => () => withFixture(makeStore, body);

  describe(`ObjectStore contract: ${name}`, () => {
    it(
      'reads back what was written, from strings and bytes, async or plain iterables',
      withStore(async ({ store, bucket }) => {
        await store.put(bucket, 'a/one.csv', chunks('id,name\n', new Uint8Array(Buffer.from('1,ä\n')), ''));
        await store.put(bucket, 'a/two.json', ['[', '1', ']']);
        expect((await store.get(bucket, 'a/one.csv'))?.toString('utf8')).toBe('id,name\n1,ä\n');
        expect((await store.get(bucket, 'a/two.json'))?.toString('utf8')).toBe('[1]');
      }),
    );

    it(
      'putIfAbsent writes a new key, and refuses an existing one without touching it',
      withStore(async ({ store, bucket }) => {
        expect(await store.putIfAbsent(bucket, 'runs/a.csv', chunks('first\n'), 'run-1')).toBe(true);
        expect(await store.putIfAbsent(bucket, 'runs/a.csv', chunks('second\n'), 'run-2')).toBe(false);
        expect((await store.get(bucket, 'runs/a.csv'))?.toString('utf8')).toBe('first\n');
        expect(await store.list(bucket, 'runs/')).toEqual(['runs/a.csv']);
      }),
    );

    it(
      "putIfAbsent replaces an object its own owner wrote (a retry), never another owner's",
      withStore(async ({ store, bucket }) => {
        expect(await store.putIfAbsent(bucket, 'runs/b.csv', chunks('attempt 1\n'), 'run-1')).toBe(true);
        expect(await store.putIfAbsent(bucket, 'runs/b.csv', chunks('attempt 2\n'), 'run-1')).toBe(true);
        expect((await store.get(bucket, 'runs/b.csv'))?.toString('utf8')).toBe('attempt 2\n');
        expect(await store.putIfAbsent(bucket, 'runs/b.csv', chunks('other\n'), 'run-2')).toBe(false);
        expect((await store.get(bucket, 'runs/b.csv'))?.toString('utf8')).toBe('attempt 2\n');
        expect(await store.list(bucket, '')).toEqual(['runs/b.csv']);
      }),
    );

    it(
      'putIfAbsent: of many writers racing for one key exactly one wins, and its object is whole',
      withStore(async ({ store, bucket }) => {
        const bodies = Array.from({ length: 8 }, (_, i) => `writer ${i}\n`.repeat(1000));
        const won = await Promise.all(
          bodies.map((b, i) => store.putIfAbsent(bucket, 'race.txt', chunks(b), `run-${i}`)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        expect((await store.get(bucket, 'race.txt'))?.toString('utf8')).toBe(bodies[won.indexOf(true)]);
      }),
    );

    it(
      'putIfAbsent refuses an existing key after a multipart-sized body too',
      withStore(async ({ store, bucket }) => {
        await store.put(bucket, 'big.bin', ['x']);
        const big = Buffer.alloc(MULTIPART_BYTES, 'y');
        expect(await store.putIfAbsent(bucket, 'big.bin', chunks(big), 'run-1')).toBe(false);
        expect((await store.get(bucket, 'big.bin'))?.toString('utf8')).toBe('x');
      }),
    );

    it(
      'writes an empty body as an empty object',
      withStore(async ({ store, bucket }) => {
        await store.put(bucket, 'empty.txt', []);
        expect(await store.get(bucket, 'empty.txt')).toEqual(Buffer.alloc(0));
      }),
    );

    it(
      'returns undefined for a key that does not exist',
      withStore(async ({ store, bucket }) => {
        expect(await store.get(bucket, 'missing/key.csv')).toBeUndefined();
      }),
    );

    it(
      'replaces an object written again',
      withStore(async ({ store, bucket }) => {
        await store.put(bucket, 'k', ['first']);
        await store.put(bucket, 'k', ['second']);
        expect((await store.get(bucket, 'k'))?.toString()).toBe('second');
      }),
    );

    it(
      'writes and reads a body larger than one upload part, byte for byte',
      withStore(async ({ store, bucket }) => {
        const body = Buffer.alloc(MULTIPART_BYTES + 12345);
        for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) % 251;
        const pieces = function* (): Generator<Chunk> {
          for (let start = 0; start < body.length; start += 1024 * 1024)
            yield body.subarray(start, start + 1024 * 1024);
        };
        await store.put(bucket, 'big/object.bin', pieces());
        expect((await store.get(bucket, 'big/object.bin'))?.equals(body)).toBe(true);
      }),
    );

    it(
      'lists the keys under a prefix in lexicographic order, and only those',
      withStore(async ({ store, bucket }) => {
        for (const key of ['run/2/b', 'run/1/page-10', 'run/1/page-02', 'run/10/x', 'other/1'])
          await store.put(bucket, key, [key]);
        expect(await store.list(bucket, 'run/1/')).toEqual(['run/1/page-02', 'run/1/page-10']);
        expect(await store.list(bucket, 'run/')).toEqual([
          'run/1/page-02',
          'run/1/page-10',
          'run/10/x',
          'run/2/b',
        ]);
        expect(await store.list(bucket, 'nothing/')).toEqual([]);
      }),
    );

    it(
      'deletes every object under a prefix and nothing else; an empty prefix is no error',
      withStore(async ({ store, bucket }) => {
        for (const key of ['staging/r1/p1', 'staging/r1/p2', 'staging/r10/p1', 'out/r1.csv'])
          await store.put(bucket, key, ['x']);
        await store.deletePrefix(bucket, 'staging/r1/');
        expect(await store.list(bucket, '')).toEqual(['out/r1.csv', 'staging/r10/p1']);
        await expect(store.deletePrefix(bucket, 'staging/none/')).resolves.toBeUndefined();
      }),
    );

    it(
      'leaves no object when the body fails, and rethrows the body’s error',
      withStore(async ({ store, bucket }) => {
        const failure = new BodyFailure('upstream broke');
        await expect(store.put(bucket, 'failed/small.csv', failingAfter(1000, failure))).rejects.toBe(
          failure,
        );
        expect(await store.get(bucket, 'failed/small.csv')).toBeUndefined();
        expect(await store.list(bucket, 'failed/')).toEqual([]);
      }),
    );

    it(
      'leaves no object when the body fails after more than one part was uploaded',
      withStore(async ({ store, bucket }) => {
        const failure = new BodyFailure('upstream broke late');
        await expect(
          store.put(bucket, 'failed/big.csv', failingAfter(MULTIPART_BYTES + 1, failure)),
        ).rejects.toBe(failure);
        expect(await store.get(bucket, 'failed/big.csv')).toBeUndefined();
        expect(await store.list(bucket, '')).toEqual([]);
      }),
    );

    it(
      'keeps the previous object whole when a replacing write fails',
      withStore(async ({ store, bucket }) => {
        await store.put(bucket, 'report.csv', ['v1']);
        await expect(
          store.put(bucket, 'report.csv', failingAfter(10, new BodyFailure('no'))),
        ).rejects.toThrow('no');
        expect((await store.get(bucket, 'report.csv'))?.toString()).toBe('v1');
      }),
    );

    it(
      'describes a location as s3://bucket/key',
      withStore(async ({ store, bucket }) => {
        expect(store.describe(bucket, 'a/b.csv')).toBe(`s3://${bucket}/a/b.csv`);
      }),
    );
  });
}
