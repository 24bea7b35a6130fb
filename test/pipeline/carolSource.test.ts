/**
 * Extracting from Carol through the distributed pipeline's handlers (embedded
 * adapters): the OAuth example (offset pagination until totalHits, a token that
 * expires mid-run) writes the same file as the in-process engine.
 */
import oauthExample from '../fixtures/carol-source-oauth.json';
import { type FakeCarol, startFakeCarol } from '../support/fakeCarol';
import { type Harness, makeHarness } from '../support/engineHarness';
import { makePipelineHarness, type PipelineHarness, withoutTimestamps } from '../support/pipelineHarness';

const SECRETS = { carol: { username: 'ana@example.com', password: 'pa55-secret' } };

let carol: FakeCarol;
let engine: Harness;
let pipeline: PipelineHarness;

beforeEach(async () => {
  carol = await startFakeCarol({
    connectorId: '0a1b2c3d4e5f',
    users: { [SECRETS.carol.username]: SECRETS.carol.password },
    tokenMaxRequests: 3,
  });
  carol.seed(
    'deals',
    Array.from({ length: 20 }, (_, i) => ({ id: i, name: `Deal ${i}`, amount: i * 2 })),
  );
  engine = await makeHarness();
  pipeline = await makePipelineHarness();
  await engine.setSecrets(SECRETS);
  await pipeline.setSecrets(SECRETS);
});
afterEach(async () => {
  await pipeline.close();
  await engine.close();
  await carol.close();
});

test('the Carol OAuth example: the pipeline writes what the engine writes', async () => {
  const config = JSON.parse(
    JSON.stringify(oauthExample)
      .replaceAll('https://myorg.carol.ai', carol.url)
      .replace('"page_size":500', '"page_size":6'),
  ) as Record<string, unknown>;
  const reference = await engine.run(config);
  expect(reference.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '20' });
  const distributed = await pipeline.run(config);
  expect(distributed.run.status).toBe('succeeded');
  expect(distributed.logs[0]).toMatchObject({ success: 'true', data_inserted_len: '20' });
  expect(withoutTimestamps(await pipeline.output(distributed.logs[0]!))).toBe(
    withoutTimestamps(await engine.output(reference.logs[0]!)),
  );
  // Both runs saw their tokens expire: more than one grant each.
  expect(carol.tokensIssued.length).toBeGreaterThan(2);
});
