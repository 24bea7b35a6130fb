/** Secrets (names only; values are write-only) and API keys (root key only). */
import { useState } from 'preact/hooks';
import type { Client } from './api';
import { Failure, Field, message, Notice, Page, Table, useLoad } from './ui';

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
      <Notice text={notice} />
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

interface Issued {
  name: string;
  api_key: string;
}

/**
 * `me`: who is signed in; refreshing that very key signs the tab in with the new one
 * (the old one stops working at once).
 */
export function Keys({ client, me, onOwnKey }: { client: Client; me: string; onOwnKey(key: string): void }) {
  const keys = useLoad(
    () => client.call<{ Items: Array<{ name: string; root: boolean }> }>('GET', '/api-keys'),
    [],
  );
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<Issued | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const run = async (action: () => Promise<void>): Promise<void> => {
    setError(undefined);
    setNotice(undefined);
    setIssued(undefined);
    try {
      await action();
      keys.reload();
    } catch (err) {
      setError(message(err));
    }
  };
  const path = (key: string) => `/api-keys/${encodeURIComponent(key)}`;
  const create = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      setIssued(await client.call<Issued>('POST', '/api-keys', { name }));
      setName('');
    });
  };
  const refresh = (key: string) =>
    run(async () => {
      const fresh = await client.call<Issued>('POST', `${path(key)}/refresh`);
      setIssued(fresh);
      if (key === me) onOwnKey(fresh.api_key);
    });
  const remove = (key: string) =>
    confirm(`Delete the API key ${key}? It stops working at once.`) &&
    run(async () => {
      await client.call('DELETE', path(key));
      setNotice(`Key ${key} deleted.`);
    });
  return (
    <Page title="API keys">
      <p class="muted">
        One key per person, so a config&apos;s history says who changed what. A key is shown once, when it is
        created or refreshed; only its hash is stored.
      </p>
      <Failure error={keys.error ?? error} />
      <Notice text={notice} />
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
      <Table
        label="API keys"
        rows={keys.data?.Items ?? []}
        rowKey={(key) => key.name}
        columns={[
          { name: 'Name', cell: (key) => <code>{key.name}</code> },
          { name: 'Kind', cell: (key) => (key.root ? 'root' : 'personal') },
          {
            name: 'Actions',
            cell: (key) => (
              <>
                <button
                  type="button"
                  class="secondary"
                  onClick={() => refresh(key.name)}
                  aria-label={`Refresh ${key.name}`}
                >
                  Refresh
                </button>{' '}
                {key.root ? null : (
                  <button
                    type="button"
                    class="danger"
                    onClick={() => remove(key.name)}
                    aria-label={`Delete ${key.name}`}
                  >
                    Delete
                  </button>
                )}
              </>
            ),
          },
        ]}
      />
      <form class="stack" aria-label="Create an API key" onSubmit={create}>
        <h2>Create a key</h2>
        <Field label="Key name" value={name} onValue={setName} required />
        <button type="submit">Create key</button>
      </form>
    </Page>
  );
}
