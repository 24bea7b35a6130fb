/** All runs (filtered, a page at a time), a run's live page, and an extraction's execution logs. */
import { useEffect, useState } from 'preact/hooks';
import type { RunCounters } from '../../shared/ports/runs';
import { type Client, type Json, withQuery } from './api';
import { type Listing, RunTable, type RunSummary } from './configs';
import { Failure, go, message, Page, Status, useLoad, when } from './ui';

const POLL_MS = 1000;
const STATUSES = ['running', 'succeeded', 'failed'];

export function RunList({ client, query }: { client: Client; query: URLSearchParams }) {
  const configId = query.get('config_id') ?? '';
  const status = query.get('status') ?? '';
  const cursor = query.get('cursor') ?? '';
  const configs = useLoad(() => client.call<Listing<{ id: string; name: string }>>('GET', '/config'), []);
  const runs = useLoad(
    () =>
      client.call<Listing<RunSummary>>(
        'GET',
        withQuery('/runs', { config_id: configId, status, cursor, limit: 25 }),
      ),
    [configId, status, cursor],
  );
  const filter = (changes: Record<string, string>): void => {
    const next = new URLSearchParams({ config_id: configId, status, ...changes });
    for (const [k, v] of [...next.entries()]) if (!v) next.delete(k);
    const text = next.toString();
    go(text ? `/runs?${text}` : '/runs');
  };
  return (
    <Page title="Runs">
      <form class="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Config{' '}
          <select value={configId} onChange={(e) => filter({ config_id: e.currentTarget.value })}>
            <option value="">all configs</option>
            {(configs.data?.Items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => filter({ status: e.currentTarget.value })}>
            <option value="">any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Failure error={runs.error} />
      {runs.data ? <RunTable runs={runs.data.Items} label="Runs" /> : null}
      <div class="actions">
        {cursor ? (
          <button type="button" class="secondary" onClick={() => filter({})}>
            Newest runs
          </button>
        ) : null}
        {runs.data?.next_cursor ? (
          <button type="button" onClick={() => filter({ cursor: runs.data!.next_cursor! })}>
            Older runs
          </button>
        ) : null}
      </div>
    </Page>
  );
}

interface ExecutionLog extends Json {
  success: string;
  error: string | null;
  destiny: string | null;
  data_inserted_len: string;
  started_at: string;
  finished_at: string;
  warning_messages: string[];
}

interface ExtractionProgress {
  extraction_id: string;
  extraction_name: string | null;
  status: string;
  pages_done: number;
  pages_total: number | null;
  failed_page: { index: number; error: string } | null;
  counters: RunCounters | null;
  log: ExecutionLog | null;
}

interface RunStatus extends RunSummary {
  updated_at: string;
  extractions: ExtractionProgress[];
}

/** Rows per second since the run started (until it finished). */
function rate(rows: number, run: RunStatus, now: number): string {
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  const seconds = Math.max((end - Date.parse(run.created_at)) / 1000, 0.001);
  return `${(rows / seconds).toFixed(1)} rows/s`;
}

async function download(client: Client, runId: string, extractionId: string): Promise<void> {
  const link = await client.call<{ url: string; file_name: string }>(
    'GET',
    `/runs/${encodeURIComponent(runId)}/files/${encodeURIComponent(extractionId)}`,
  );
  // A short-lived link that needs no key: the key never goes in a URL.
  const a = document.createElement('a');
  a.href = link.url;
  a.download = link.file_name;
  a.rel = 'noreferrer';
  document.body.append(a);
  a.click();
  a.remove();
}

export function RunPage({ client, id }: { client: Client; id: string }) {
  const [run, setRun] = useState<RunStatus | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        const status = await client.call<RunStatus>('GET', `/runs/${encodeURIComponent(id)}`);
        if (!live) return;
        setRun(status);
        setNow(Date.now());
        setError(undefined);
        if (status.status === 'running') timer = setTimeout(poll, POLL_MS);
      } catch (err) {
        if (!live) return;
        setError(message(err));
        timer = setTimeout(poll, POLL_MS * 5);
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id, client]);

  return (
    <Page title="Run">
      <Failure error={error} />
      {run ? (
        <>
          <dl class="facts">
            <dt>Run</dt>
            <dd>
              <code>{run.run_id}</code>
            </dd>
            <dt>Config</dt>
            <dd>
              <a href={`#/configs/${encodeURIComponent(run.config_id)}`}>{run.config_name}</a>
            </dd>
            <dt>Status</dt>
            <dd aria-label="Run status" data-status={run.status}>
              <Status status={run.status} />
            </dd>
            <dt>Started</dt>
            <dd>{when(run.created_at)}</dd>
            <dt>Finished</dt>
            <dd>{when(run.finished_at)}</dd>
            <dt>Trigger</dt>
            <dd>{run.trigger}</dd>
          </dl>
          {run.error ? (
            <p class="error" role="alert">
              {run.error}
            </p>
          ) : null}
          <h2>Extractions</h2>
          {run.extractions.map((e) => (
            <ExtractionCard key={e.extraction_id} client={client} run={run} extraction={e} now={now} />
          ))}
        </>
      ) : null}
    </Page>
  );
}

function ExtractionCard({
  client,
  run,
  extraction: e,
  now,
}: {
  client: Client;
  run: RunStatus;
  extraction: ExtractionProgress;
  now: number;
}) {
  const [error, setError] = useState<string | undefined>();
  const name = e.extraction_name ?? e.extraction_id;
  const counters = e.counters;
  const total = e.pages_total;
  return (
    <article class="card" aria-label={`Extraction ${name}`}>
      <h3>
        {name} <Status status={e.status} />
      </h3>
      {total ? (
        <progress max={total} value={e.pages_done} aria-label={`Pages of ${name}`}>
          {e.pages_done}/{total}
        </progress>
      ) : null}
      <dl class="counters">
        <dt>Pages</dt>
        <dd>
          {e.pages_done}
          {total ? ` / ${total}` : ''}
        </dd>
        <dt>Rows</dt>
        <dd>{counters?.rows ?? 0}</dd>
        <dt>Requests</dt>
        <dd>{counters?.requests ?? 0}</dd>
        <dt>Retries</dt>
        <dd>{counters?.retries ?? 0}</dd>
        <dt>Rate</dt>
        <dd>{rate(counters?.rows ?? 0, run, now)}</dd>
      </dl>
      {e.failed_page ? (
        <p class="error" role="alert">
          Page {e.failed_page.index} failed: {e.failed_page.error}
        </p>
      ) : null}
      {e.log ? (
        <>
          {e.log.destiny && e.log.destiny.startsWith('s3://') ? (
            <p>
              <button
                type="button"
                onClick={() =>
                  download(client, run.run_id, e.extraction_id).catch((err: unknown) =>
                    setError(message(err)),
                  )
                }
                aria-label={`Download the file of ${name}`}
              >
                Download {e.log.destiny.split('/').pop()}
              </button>
            </p>
          ) : null}
          <details>
            <summary>Execution log</summary>
            <pre class="log" aria-label={`Execution log of ${name}`}>
              {JSON.stringify(e.log, null, 2)}
            </pre>
          </details>
        </>
      ) : null}
      <Failure error={error} />
    </article>
  );
}

export function ExtractionLogs({ client, id }: { client: Client; id: string }) {
  const logs = useLoad(
    () =>
      client.call<Listing<ExecutionLog & { run_id: string }>>(
        'GET',
        `/extractions/${encodeURIComponent(id)}/logs`,
      ),
    [id],
  );
  return (
    <Page title="Execution logs">
      <Failure error={logs.error} />
      {logs.data && logs.data.Items.length === 0 ? <p>No runs of this extraction yet.</p> : null}
      {(logs.data?.Items ?? []).map((log, i) => (
        <article class="card" key={i} aria-label={`Log of run ${log.run_id}`}>
          <h3>
            <a href={`#/runs/${encodeURIComponent(log.run_id)}`}>{when(log.started_at)}</a>{' '}
            <Status status={log.success === 'true' ? 'succeeded' : 'failed'} />
          </h3>
          <pre class="log">{JSON.stringify(log, null, 2)}</pre>
        </article>
      ))}
    </Page>
  );
}
