/** The configs list and a config's page: extractions, runs, history with a diff, execute/enable/disable. */
import { useState } from 'preact/hooks';
import { parseSchedule } from '../../shared/core/schedule';
import { type Client, type Json, withQuery } from './api';
import { diffLines, withContext } from './diff';
import { Failure, go, message, Page, Status, Table, useLoad, when } from './ui';

interface ConfigDoc extends Json {
  id: string;
  name: string;
  schedule?: string;
  enabled?: boolean;
  extractions: Array<Json & { id: string; name: string; endpoint?: { url?: string }; format?: string }>;
}

interface RunSummary {
  run_id: string;
  config_id: string;
  config_name: string;
  status: string;
  trigger: string;
  created_at: string;
  finished_at: string | null;
  error: string | null;
  counters: Record<string, number>;
}

interface Listing<T> {
  Items: T[];
  Count: number;
  next_cursor?: string | null;
}

/** The next slot of a config's own schedule (configs without one follow the deployment's default). */
export function nextRun(schedule: string | undefined, now = new Date()): string {
  if (!schedule) return 'default schedule';
  try {
    return when(parseSchedule(schedule).next(now)?.toISOString());
  } catch (err) {
    return `invalid: ${message(err)}`;
  }
}

export function ConfigList({ client }: { client: Client }) {
  const loaded = useLoad(async () => {
    const configs = await client.call<Listing<ConfigDoc>>('GET', '/config');
    const last = await Promise.all(
      configs.Items.map((c) =>
        client
          .call<Listing<RunSummary>>('GET', withQuery('/runs', { config_id: c.id, limit: 1 }))
          .then((runs) => runs.Items[0]),
      ),
    );
    return configs.Items.map((config, i) => ({ config, last: last[i] }));
  }, []);
  return (
    <Page
      title="Configs"
      actions={
        <a class="button" href="#/configs/new">
          New config
        </a>
      }
    >
      <Failure error={loaded.error} />
      {loaded.data && loaded.data.length === 0 ? <p>No configs yet: create one.</p> : null}
      {loaded.data && loaded.data.length > 0 ? (
        <Table
          label="Configs"
          rows={loaded.data}
          rowKey={({ config }) => config.id}
          columns={[
            {
              name: 'Name',
              cell: ({ config }) => <a href={`#/configs/${encodeURIComponent(config.id)}`}>{config.name}</a>,
            },
            { name: 'Schedule', cell: ({ config }) => <code>{config.schedule ?? 'default'}</code> },
            {
              name: 'Next run',
              cell: ({ config }) => (config.enabled === false ? 'disabled' : nextRun(config.schedule)),
            },
            {
              name: 'Last run',
              cell: ({ last }) =>
                last ? (
                  <a href={`#/runs/${encodeURIComponent(last.run_id)}`}>
                    <Status status={last.status} /> {when(last.created_at)}
                  </a>
                ) : (
                  <Status status={null} />
                ),
            },
            { name: 'Enabled', cell: ({ config }) => (config.enabled === false ? 'no' : 'yes') },
          ]}
        />
      ) : null}
    </Page>
  );
}

interface HistoryItem extends Json {
  version: number;
  updated_at: string;
  api_key_name: string;
  delete?: boolean;
}

/** A version's config, without the fields history adds. */
function versionText(item: HistoryItem): string {
  const { updated_at: _u, api_key: _k, api_key_name: _n, version: _v, delete: _d, ...config } = item;
  return JSON.stringify(config, null, 2);
}

function VersionSelect({
  label,
  name,
  items,
  value,
  onPick,
}: {
  label: string;
  name: string;
  items: HistoryItem[];
  value: number;
  onPick(version: number): void;
}) {
  return (
    <label>
      {label}{' '}
      <select aria-label={name} value={String(value)} onChange={(e) => onPick(Number(e.currentTarget.value))}>
        {items.map((v) => (
          <option key={v.version} value={String(v.version)}>
            {v.version}
          </option>
        ))}
      </select>
    </label>
  );
}

function History({ client, id }: { client: Client; id: string }) {
  const history = useLoad(
    () => client.call<Listing<HistoryItem>>('GET', `/config/${encodeURIComponent(id)}/history`),
    [id],
  );
  const items = history.data?.Items ?? [];
  const [from, setFrom] = useState<number | undefined>();
  const [to, setTo] = useState<number | undefined>();
  const newest = items[0]?.version;
  const older = items[1]?.version;
  const a = items.find((v) => v.version === (from ?? older));
  const b = items.find((v) => v.version === (to ?? newest));
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <Failure error={history.error} />
      <Table
        label="Versions"
        rows={items}
        rowKey={(v) => v.version}
        columns={[
          { name: 'Version', cell: (v) => v.version },
          { name: 'When', cell: (v) => v.updated_at },
          { name: 'Who', cell: (v) => v.api_key_name },
          {
            name: 'Change',
            cell: (v) => (v.delete ? 'deleted' : v === items[items.length - 1] ? 'created' : 'updated'),
          },
        ]}
      />
      {items.length > 1 && a && b ? (
        <div class="diff-box">
          <div class="row">
            <VersionSelect
              label="Compare version"
              name="Older version"
              items={items}
              value={a.version}
              onPick={setFrom}
            />
            <VersionSelect label="with" name="Newer version" items={items} value={b.version} onPick={setTo} />
          </div>
          <pre class="diff" aria-label={`Changes from version ${a.version} to ${b.version}`}>
            {withContext(diffLines(versionText(a), versionText(b))).map((line, i) =>
              line.kind === 'skipped' ? (
                <div key={i} class="diff-skipped">
                  {`… ${line.count} unchanged line(s)`}
                </div>
              ) : (
                <div key={i} class={`diff-${line.kind}`}>
                  {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
                  {line.text}
                </div>
              ),
            )}
          </pre>
        </div>
      ) : null}
    </section>
  );
}

export function ConfigPage({ client, id }: { client: Client; id: string }) {
  const path = `/config/${encodeURIComponent(id)}`;
  const config = useLoad(() => client.call<ConfigDoc>('GET', path), [id]);
  const runs = useLoad(
    () => client.call<Listing<RunSummary>>('GET', withQuery('/runs', { config_id: id, limit: 10 })),
    [id],
  );
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const doc = config.data;

  const act = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  const execute = () =>
    act(async () => {
      const started = await client.call<{ run_id: string }>('POST', `${path}/execute`);
      go(`/runs/${encodeURIComponent(started.run_id)}`);
    });
  const setEnabled = (enabled: boolean) =>
    act(async () => {
      await client.call('PUT', path, { ...doc, enabled });
      config.reload();
    });

  return (
    <Page
      title={doc ? doc.name : 'Config'}
      actions={
        doc ? (
          <>
            <button type="button" onClick={execute} disabled={busy}>
              Execute
            </button>
            {doc.enabled === false ? (
              <button type="button" onClick={() => setEnabled(true)} disabled={busy}>
                Enable
              </button>
            ) : (
              <button type="button" class="secondary" onClick={() => setEnabled(false)} disabled={busy}>
                Disable
              </button>
            )}
            <a class="button secondary" href={`#/configs/${encodeURIComponent(id)}/edit`}>
              Edit
            </a>
          </>
        ) : null
      }
    >
      <Failure error={config.error ?? error} />
      {doc ? (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{doc.id}</code>
            </dd>
            <dt>Schedule</dt>
            <dd>
              <code>{doc.schedule ?? 'default'}</code>
            </dd>
            <dt>Next run</dt>
            <dd>{doc.enabled === false ? 'disabled' : nextRun(doc.schedule)}</dd>
            <dt>Enabled</dt>
            <dd>{doc.enabled === false ? 'no' : 'yes'}</dd>
          </dl>
          <h2>Extractions</h2>
          <Table
            label="Extractions"
            rows={doc.extractions}
            rowKey={(e) => e.id}
            columns={[
              { name: 'Name', cell: (e) => e.name },
              { name: 'Endpoint', cell: (e) => <code>{e.endpoint?.url ?? ''}</code> },
              { name: 'Format', cell: (e) => e.format ?? 'csv' },
              {
                name: 'Logs',
                cell: (e) => (
                  <a href={`#/extractions/${encodeURIComponent(e.id)}`}>Execution logs of {e.name}</a>
                ),
              },
            ]}
          />
          <h2>Recent runs</h2>
          <RunTable runs={runs.data?.Items ?? []} label="Recent runs" />
          <p>
            <a href={`#/runs?config_id=${encodeURIComponent(id)}`}>All runs of this config</a>
          </p>
          <History client={client} id={id} />
        </>
      ) : null}
    </Page>
  );
}

export function RunTable({ runs, label }: { runs: RunSummary[]; label: string }) {
  if (runs.length === 0) return <p>No runs yet.</p>;
  return (
    <Table
      label={label}
      rows={runs}
      rowKey={(run) => run.run_id}
      columns={[
        { name: 'Started', cell: (run) => when(run.created_at) },
        { name: 'Config', cell: (run) => run.config_name },
        { name: 'Status', cell: (run) => <Status status={run.status} /> },
        { name: 'Trigger', cell: (run) => run.trigger },
        { name: 'Rows', cell: (run) => run.counters.rows ?? 0 },
        {
          name: 'Run',
          cell: (run) => (
            <a href={`#/runs/${encodeURIComponent(run.run_id)}`} aria-label={`Run ${run.run_id}`}>
              {run.run_id.slice(0, 8)}
            </a>
          ),
        },
      ]}
    />
  );
}

export type { RunSummary, Listing, ConfigDoc };
