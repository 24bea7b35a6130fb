/**
 * The dashboard in a real browser (playwright-core driving Debian's Chromium) against
 * `npm start`'s built process and a fake upstream: sign in, write a config with an
 * error and fix it, preview, save, execute, watch the run succeed, download its file;
 * a personal key sees no key management; a wrong key is refused.
 * `SCREENSHOTS=1` also saves the main screens into docs/screenshots/.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { type FakeApi, makeRecord, startFakeApi } from '../support/fakeApi';
import { startBuiltEmbedded } from '../support/npmStart';
import { pollUntil } from '../support/poll';

const SCREENSHOT_DIR = join(__dirname, '../../docs/screenshots');
const ROOT_KEY = 'dashboard-e2e-root-key-0123456789abcdef';
const RECORDS = 45;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = { timeout: 60_000 };

/** Waits (generously) until `locator` matches exactly `n` elements: the page re-renders after each answer. */
async function expectCount(locator: Locator, n: number): Promise<void> {
  await pollUntil(
    async () => ((await locator.count()) === n ? true : undefined),
    async () => `expected ${n} of ${String(locator)}, found ${await locator.count()}`,
    { timeoutMs: WAIT.timeout },
  );
}

let upstream: FakeApi;
let child: ChildProcess | undefined;
let dataDir: string;
let browser: Browser;
let base: string;

async function startServer(): Promise<string> {
  const started = await startBuiltEmbedded({ DATA_DIR: dataDir, ROOT_API_KEY: ROOT_KEY, SCHEDULER: 'off' });
  child = started.child;
  return started.url;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the dashboard's browser test drives Debian's Chromium, and ${CHROMIUM} does not exist: install it (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`,
    );
  upstream = await startFakeApi({ records: RECORDS, pageSize: 10 });
  dataDir = await mkdtemp(join(tmpdir(), 'api-extractor-dashboard-'));
  base = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await upstream?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

function config(withError: boolean): string {
  const parameters: Record<string, string> = { there_are_more_pages: 'info.more_records' };
  if (!withError) parameters.param_name = 'page';
  return JSON.stringify(
    {
      name: 'deals',
      schedule: '0 3 * * *',
      extractions: [
        {
          name: 'deals',
          endpoint: { url: `${upstream.url}/crm/v2/deals` },
          data_key: 'data',
          data_schema: { id: 'id', Deal_Name: 'name' },
          pagination: { type: 'sequential', parameters },
          format: 'csv',
        },
      ],
    },
    null,
    2,
  );
}

test('a wrong key is refused', async () => {
  const page = await browser.newPage();
  try {
    await signIn(page, 'not-a-key');
    await page.getByRole('alert').filter({ hasText: 'That key was refused' }).waitFor(WAIT);
    await page.getByLabel('API key').waitFor(WAIT);
    await expectCount(page.getByRole('navigation', { name: 'Main' }), 0);
  } finally {
    await page.close();
  }
}, 120_000);

test('sign in, write a config with an error and fix it, preview, save, execute, watch it succeed, download its file', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on('pageerror', (err) => scriptErrors.push(err.message));
  page.on('console', (msg) => {
    // A refused save answers 400 on purpose; anything else (a CSP refusal, a script error) counts.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
      scriptErrors.push(msg.text());
  });
  try {
    await signIn(page, ROOT_KEY);
    await page.getByRole('heading', { name: 'Configs' }).waitFor(WAIT);
    expect(page.url()).not.toContain(ROOT_KEY);
    expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);

    await page.getByRole('link', { name: 'New config' }).click();
    const editor = page.getByLabel('Config JSON');
    await editor.fill(config(true));
    // As typed: the API's issue, marked at the line of the field it names.
    const issues = page.getByRole('list', { name: 'Validation issues' });
    await issues.filter({ hasText: 'param_name' }).waitFor(WAIT);
    expect(await issues.textContent()).toContain('extractions[0].pagination.parameters');
    const marked = await page.locator('.gutter-line.marked').first().textContent();
    const parametersLine =
      config(true)
        .split('\n')
        .findIndex((l) => l.includes('"parameters"')) + 1;
    expect(marked).toContain(String(parametersLine));
    await screenshot(page, 'editor-error');
    // On save too: refused, nothing saved.
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'invalid config' }).waitFor(WAIT);

    await editor.fill(config(false));
    await page.getByText('The config is valid.').waitFor(WAIT);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('table', { name: 'Preview of deals' });
    await preview.waitFor(WAIT);
    await expectCount(preview.locator('tbody tr'), 10);
    expect(await preview.locator('tbody tr').first().textContent()).toContain(
      String(makeRecord(0).Deal_Name),
    );
    await screenshot(page, 'preview');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Execute' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Execute' }).click();
    await page.locator('[aria-label="Run status"][data-status="succeeded"]').waitFor(WAIT);
    const card = page.getByRole('article', { name: 'Extraction deals' });
    expect(await card.textContent()).toContain(`Rows${RECORDS}`);
    await screenshot(page, 'run');

    const [download] = await Promise.all([
      page.waitForEvent('download', WAIT),
      page.getByRole('button', { name: 'Download the file of deals' }).click(),
    ]);
    const downloaded = await readFile((await download.path())!, 'utf8');
    const lines = downloaded.trim().split(/\r?\n/);
    expect(lines).toHaveLength(RECORDS + 1);
    expect(lines[0]).toContain('name');
    for (let i = 0; i < RECORDS; i++) expect(lines[i + 1]).toContain(String(makeRecord(i).Deal_Name));
    // The very file the run wrote to the local store.
    const log = JSON.parse((await card.getByLabel('Execution log of deals').textContent())!) as {
      destiny: string;
    };
    const stored = log.destiny.replace(/^s3:\/\//, '');
    expect(downloaded).toBe(await readFile(join(dataDir, 's3', stored), 'utf8'));

    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('table', { name: 'Runs' }).waitFor(WAIT);
    await expectCount(page.getByRole('table', { name: 'Runs' }).locator('tbody tr'), 1);
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No runs yet.').waitFor(WAIT);

    await page.getByRole('link', { name: 'Configs' }).click();
    const configs = page.getByRole('table', { name: 'Configs' });
    await configs.waitFor(WAIT);
    const row = (await configs.locator('tbody tr').first().textContent())!;
    expect(row).toContain('succeeded');
    // Its schedule (0 3 * * *) read by the bundled cron parser: the next 03:00 UTC.
    expect(row).toMatch(/\d{4}-\d{2}-\d{2} 03:00:00 UTC/);
    await screenshot(page, 'configs');

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('juan');
    await page.getByRole('button', { name: 'Create key' }).click();
    const juanKey = await page.getByLabel('API key of juan').inputValue();
    expect(juanKey.length).toBeGreaterThan(20);
    const keys = page.getByRole('table', { name: 'API keys' });
    await keys.getByText('juan').waitFor(WAIT);
    expect(await keys.textContent()).not.toContain(juanKey);
    await screenshot(page, 'keys');
    // Refreshed: the new key is shown once, and the old one stops working.
    await keys.getByRole('button', { name: 'Refresh juan' }).click();
    const refreshed = await pollUntil(
      async () => {
        const shown = await page.getByLabel('API key of juan').inputValue();
        return shown !== juanKey ? shown : undefined;
      },
      () => 'the refreshed key was never shown',
      { timeoutMs: 60_000 },
    );
    const old = await fetch(`${base}/me`, { headers: { Authorization: juanKey } });
    expect(old.status).toBe(401);
    // A throwaway key, deleted from the list.
    await page.getByLabel('Key name').fill('temp');
    await page.getByRole('button', { name: 'Create key' }).click();
    await keys.getByText('temp').waitFor(WAIT);
    page.once('dialog', (dialog) => void dialog.accept());
    await keys.getByRole('button', { name: 'Delete temp' }).click();
    await page.getByRole('status').filter({ hasText: 'Key temp deleted.' }).waitFor(WAIT);
    await expectCount(keys.getByText('temp'), 0);

    if (process.env.SCREENSHOTS === '1') {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('link', { name: 'Configs' }).click();
      await configs.waitFor(WAIT);
      await screenshot(page, 'configs-phone');
    }

    // A personal key: no key management, no secrets.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, refreshed);
    await page.getByRole('heading', { name: 'Configs' }).waitFor(WAIT);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Configs', 'Runs', 'API docs']);
    await page.goto(`${base}/#/keys`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor(WAIT);
    await expectCount(page.getByLabel('Key name'), 0);
    expect(scriptErrors).toEqual([]);
  } finally {
    await context.close();
  }
}, 300_000);

async function rest(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: ROOT_KEY, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

test('root sets a secret (never shown again), disables and enables a config, and sees who changed what with a diff', async () => {
  const saved = await rest('POST', '/config', JSON.parse(config(false)) as unknown);
  const id = saved.id as string;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await signIn(page, ROOT_KEY);
    await page.getByRole('link', { name: 'Secrets' }).click();
    const form = page.getByRole('form', { name: 'Set a secret' });
    await form.getByLabel('Name').fill('crm_token');
    await form.getByLabel('Value', { exact: true }).fill('super-secret-value-123');
    await form.getByRole('button', { name: 'Save secret' }).click();
    await page.getByRole('status').filter({ hasText: 'Secret crm_token saved.' }).waitFor(WAIT);
    await page.getByRole('table', { name: 'Secrets' }).getByText('crm_token').waitFor(WAIT);
    expect(await page.content()).not.toContain('super-secret-value-123');
    await screenshot(page, 'secrets');

    await page.goto(`${base}/#/configs/${id}`);
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor(WAIT);
    expect((await rest('GET', `/config/${id}`)).enabled).toBe(false);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor(WAIT);
    expect((await rest('GET', `/config/${id}`)).enabled).toBe(true);

    // Three versions by rootkey; the diff of the newest two shows the change back.
    await page.reload();
    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.locator('tbody tr').nth(2).waitFor(WAIT);
    await expectCount(versions.locator('tbody tr'), 3);
    expect(await versions.locator('tbody tr').first().textContent()).toContain('rootkey');
    const diff = page.getByLabel(/Changes from version/);
    expect(await diff.locator('.diff-removed').allTextContents()).toEqual(['-   "enabled": false,']);
    expect(await diff.locator('.diff-added').allTextContents()).toEqual(['+   "enabled": true,']);
    await screenshot(page, 'config');

    // The root key set by ROOT_API_KEY cannot be rotated from the page: the API's 409 says how.
    await page.goto(`${base}/#/keys`);
    await page.getByRole('button', { name: 'Refresh rootkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'ROOT_API_KEY' }).waitFor(WAIT);
    expect((await rest('GET', '/me')).name).toBe('rootkey');
  } finally {
    await context.close();
  }
}, 300_000);
