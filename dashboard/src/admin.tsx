/** Secrets (names only; values are write-only) and API keys (root key only). */
import { useState } from 'preact/hooks';
import type { Client } from './api';
import { Failure, Field, message, Page, Table, useLoad } from './ui';

export function Secrets({ client }: { client: Client }) {
  const secrets = useLoad(
    () => client.call<{ Items: string[]; Origins: Record<string, string[] | null> }>('GET', '/secrets'),
    [],
  );
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [origins, setOrigins] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const run = async (action: () => Promise<string>): Promise<void> => {
    setError(undefined);
    setNotice(undefined);
    try {
      setNotice(await action());
      secrets.reload();
    } catch (err) {
      setError(message(err));
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    const list = origins
      .split(/[\s,]+/)
      .map((o) => o.trim())
      .filter(Boolean);
    void run(async () => {
      await client.call('PUT', `/secrets/${encodeURIComponent(name)}`, {
        value,
        ...(list.length ? { origins: list } : {}),
      });
      setValue('');
      return `Secret ${name} saved.`;
    });
  };
  return (
    <Page title="Secrets">
      <p class="muted">
        Configs read these as <code>{'${secret::name}'}</code>. Values are write-only: set or replace them
        here; they are never shown.
      </p>
      <Failure error={secrets.error ?? error} />
      {notice ? (
        <p class="ok" role="status">
          {notice}
        </p>
      ) : null}
      <Table
        label="Secrets"
        rows={secrets.data?.Items ?? []}
        rowKey={(secret) => secret}
        columns={[
          { name: 'Name', cell: (secret) => <code>{secret}</code> },
          {
            name: 'Origins',
            cell: (secret) => secrets.data?.Origins[secret]?.join(', ') ?? 'any (unbound)',
          },
          {
            name: 'Actions',
            cell: (secret) => (
              <>
                <button
                  type="button"
                  class="secondary"
                  onClick={() => setName(secret)}
                  aria-label={`Replace ${secret}`}
                >
                  Replace
                </button>{' '}
                <button
                  type="button"
                  class="danger"
                  aria-label={`Delete ${secret}`}
                  onClick={() =>
                    confirm(`Delete the secret ${secret}?`) &&
                    run(async () => {
                      await client.call('DELETE', `/secrets/${encodeURIComponent(secret)}`);
                      return `Secret ${secret} deleted.`;
                    })
                  }
                >
                  Delete
                </button>
              </>
            ),
          },
        ]}
      />
      <form class="stack" onSubmit={save} aria-label="Set a secret">
        <h2>Set or replace a secret</h2>
        <Field label="Name" value={name} onValue={setName} required />
        <Field
          label="Value"
          type="password"
          value={value}
          onValue={setValue}
          required
          autocomplete="new-password"
        />
        <Field
          label="Origins (optional, space or comma separated, e.g. https://api.example.com)"
          value={origins}
          onValue={setOrigins}
        />
        <button type="submit">Save secret</button>
      </form>
    </Page>
  );
}

export function Keys({ client }: { client: Client }) {
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<{ name: string; api_key: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const run = async (action: () => Promise<void>): Promise<void> => {
    setError(undefined);
    setNotice(undefined);
    setIssued(undefined);
    try {
      await action();
    } catch (err) {
      setError(message(err));
    }
  };
  const target = `/api-keys/${encodeURIComponent(name)}`;
  return (
    <Page title="API keys">
      <p class="muted">
        One key per person, so a config&apos;s history says who changed what. A key is shown once, when it is
        created or refreshed; only its hash is stored.
      </p>
      <form class="stack" aria-label="Manage an API key" onSubmit={(e) => e.preventDefault()}>
        <Field label="Key name" value={name} onValue={setName} required />
        <div class="actions">
          <button
            type="button"
            disabled={!name}
            onClick={() =>
              run(async () =>
                setIssued(
                  await client.call<{ name: string; api_key: string }>('POST', '/api-keys', { name }),
                ),
              )
            }
          >
            Create key
          </button>
          <button
            type="button"
            class="secondary"
            disabled={!name}
            onClick={() =>
              run(async () =>
                setIssued(await client.call<{ name: string; api_key: string }>('POST', `${target}/refresh`)),
              )
            }
          >
            Refresh key
          </button>
          <button
            type="button"
            class="danger"
            disabled={!name}
            onClick={() =>
              confirm(`Delete the API key ${name}?`) &&
              run(async () => {
                await client.call('DELETE', target);
                setNotice(`Key ${name} deleted.`);
              })
            }
          >
            Delete key
          </button>
        </div>
      </form>
      <Failure error={error} />
      {notice ? (
        <p class="ok" role="status">
          {notice}
        </p>
      ) : null}
      {issued ? (
        <div class="card" role="status" aria-label="New API key">
          <p>
            The key of <strong>{issued.name}</strong>, shown this once: copy it now.
          </p>
          <input
            class="key"
            readOnly
            value={issued.api_key}
            aria-label={`API key of ${issued.name}`}
            onFocus={(e) => e.currentTarget.select()}
          />
        </div>
      ) : null}
    </Page>
  );
}
