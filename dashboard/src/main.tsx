/**
 * The dashboard: sign in with an API key (kept in this tab's sessionStorage only,
 * never in a URL or localStorage), then everything that key may do through the REST
 * API. Routes live after `#`.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Keys, Secrets } from './admin';
import { ApiFailure, type Client, createClient } from './api';
import { ConfigList, ConfigPage } from './configs';
import { ConfigEditor } from './editor';
import { ExtractionLogs, RunList, RunPage } from './runs';
import { Field, message, Page, useHashRoute } from './ui';

const KEY_ITEM = 'api-extractor.key';

interface Me {
  name: string;
  root: boolean;
}

function SignIn({ onSignIn, error }: { onSignIn: (key: string) => void; error?: string }) {
  const [key, setKey] = useState('');
  return (
    <main class="signin">
      <h1>API Extractor</h1>
      <form
        class="stack"
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          onSignIn(key.trim());
        }}
      >
        <Field label="API key" type="password" value={key} onValue={setKey} required />
        <button type="submit">Sign in</button>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      <p class="muted">
        The key stays in this tab only. <a href="/docs/">API documentation</a>
      </p>
    </main>
  );
}

function Routes({
  client,
  me,
  route,
  onOwnKey,
}: {
  client: Client;
  me: Me;
  route: string;
  onOwnKey(key: string): void;
}) {
  const [path, search = ''] = route.split('?');
  const parts = (path ?? '').split('/').filter(Boolean);
  const [section, id, sub] = parts;
  if (section === 'configs' && id === 'new') return <ConfigEditor client={client} />;
  if (section === 'configs' && id && sub === 'edit') return <ConfigEditor client={client} id={id} />;
  if (section === 'configs' && id) return <ConfigPage client={client} id={id} />;
  if (section === 'runs' && id) return <RunPage client={client} id={id} />;
  if (section === 'runs') return <RunList client={client} query={new URLSearchParams(search)} />;
  if (section === 'extractions' && id) return <ExtractionLogs client={client} id={id} />;
  if (section === 'secrets' && me.root) return <Secrets client={client} />;
  if (section === 'keys' && me.root) return <Keys client={client} me={me.name} onOwnKey={onOwnKey} />;
  if (section === 'configs' || !section) return <ConfigList client={client} />;
  return (
    <Page title="Not found">
      <p>Nothing here for this key.</p>
    </Page>
  );
}

function App() {
  const [key, setKey] = useState<string | undefined>(() => sessionStorage.getItem(KEY_ITEM) ?? undefined);
  const [me, setMe] = useState<Me | undefined>();
  const [error, setError] = useState<string | undefined>();
  const route = useHashRoute();
  const client = useMemo(() => (key ? createClient(key) : undefined), [key]);

  useEffect(() => {
    if (!client) return;
    client.call<Me>('GET', '/me').then(
      (who) => {
        setMe(who);
        setError(undefined);
      },
      (err: unknown) => {
        sessionStorage.removeItem(KEY_ITEM);
        setKey(undefined);
        setMe(undefined);
        setError(
          err instanceof ApiFailure && err.status === 401
            ? `That key was refused: ${err.message}.`
            : message(err),
        );
      },
    );
  }, [client]);

  const signIn = (presented: string): void => {
    sessionStorage.setItem(KEY_ITEM, presented);
    setKey(presented);
  };
  const signOut = (): void => {
    sessionStorage.removeItem(KEY_ITEM);
    setKey(undefined);
    setMe(undefined);
  };

  if (!client || !me)
    return key && !error ? <p class="muted">Signing in…</p> : <SignIn onSignIn={signIn} error={error} />;
  const section = route.split('/')[1] ?? 'configs';
  const link = (to: string, label: string) => (
    <a href={`#/${to}`} aria-current={section.startsWith(to) ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header class="top">
        <a class="brand" href="#/configs">
          API Extractor
        </a>
        <nav aria-label="Main">
          {link('configs', 'Configs')}
          {link('runs', 'Runs')}
          {me.root ? link('secrets', 'Secrets') : null}
          {me.root ? link('keys', 'API keys') : null}
          <a href="/docs/">API docs</a>
        </nav>
        <div class="who">
          <span aria-label="Signed in as">{me.name}</span>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Routes client={client} me={me} route={route} onOwnKey={signIn} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
