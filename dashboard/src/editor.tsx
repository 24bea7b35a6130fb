/**
 * The config editor: a JSON text area with line numbers; the API's validation issues
 * (as you type, debounced, through `POST /validate`, and on save) are marked at the
 * line of the field they name; preview shows the first rows of each extraction.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiFailure, type Client, type Issue, withQuery } from './api';
import type { ConfigDoc } from './configs';
import { lineIndex, lineOf, syntaxErrorLine } from './jsonPaths';
import { Failure, go, message, Page, Table, useLoad } from './ui';

const VALIDATE_DELAY_MS = 400;

const TEMPLATE = {
  name: 'my-config',
  schedule: '0 2 * * *',
  extractions: [
    {
      name: 'items',
      endpoint: { url: 'https://api.example.com/items' },
      data_key: 'data',
      data_schema: { id: 'id', name: 'name' },
      format: 'csv',
    },
  ],
};

interface Preview {
  extraction_id: string | null;
  extraction_name: string;
  ok: boolean;
  error?: string;
  columns?: string[];
  rows?: Array<Record<string, unknown>>;
  more_pages?: boolean;
}

interface Located extends Issue {
  line: number;
}

function locate(text: string, issues: Issue[]): Located[] {
  const index = lineIndex(text);
  return issues.map((issue) => ({ ...issue, line: lineOf(index, issue.path) }));
}

/** The text parsed, or the issue its JSON syntax raises. */
function parse(text: string): { value?: unknown; issue?: Located } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const msg = (err as Error).message;
    return { issue: { path: '', message: `not valid JSON: ${msg}`, line: syntaxErrorLine(text, msg) } };
  }
}

export function ConfigEditor({ client, id }: { client: Client; id?: string }) {
  const path = id === undefined ? undefined : `/config/${encodeURIComponent(id)}`;
  const existing = useLoad(
    () => (path ? client.call<ConfigDoc>('GET', path) : Promise.resolve(undefined)),
    [path],
  );
  const [text, setText] = useState<string | undefined>(
    id === undefined ? JSON.stringify(TEMPLATE, null, 2) : undefined,
  );
  const [issues, setIssues] = useState<Located[]>([]);
  const [checked, setChecked] = useState<'checking' | 'valid' | 'invalid' | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [previews, setPreviews] = useState<Preview[] | undefined>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (text === undefined && existing.data) setText(JSON.stringify(existing.data, null, 2));
  }, [existing.data, text]);

  // As the user types: the syntax at once, the API's validation after a pause.
  useEffect(() => {
    if (text === undefined) return;
    const parsed = parse(text);
    if (parsed.issue) {
      setIssues([parsed.issue]);
      setChecked('invalid');
      return;
    }
    setChecked('checking');
    let live = true;
    const timer = setTimeout(() => {
      client.call('POST', '/validate', parsed.value).then(
        () => {
          if (!live) return;
          setIssues([]);
          setChecked('valid');
        },
        (err: unknown) => {
          if (!live) return;
          if (err instanceof ApiFailure && err.details.length > 0) {
            // The 400 a save would meet: each issue names its field.
            setIssues(locate(text, err.details));
            setChecked('invalid');
          } else {
            setError(message(err));
          }
        },
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text, client]);

  const lines = useMemo(() => (text ?? '').split('\n').length, [text]);
  const byLine = useMemo(() => {
    const map = new Map<number, Located[]>();
    for (const issue of issues) map.set(issue.line, [...(map.get(issue.line) ?? []), issue]);
    return map;
  }, [issues]);

  const goToLine = (line: number): void => {
    const el = area.current;
    if (!el || text === undefined) return;
    const starts =
      text
        .split('\n')
        .slice(0, line - 1)
        .join('\n').length + (line > 1 ? 1 : 0);
    const end = text.indexOf('\n', starts);
    el.focus();
    el.setSelectionRange(starts, end === -1 ? text.length : end);
  };

  const withBody = async (action: (body: unknown) => Promise<void>): Promise<void> => {
    if (text === undefined) return;
    const parsed = parse(text);
    if (parsed.issue) {
      setIssues([parsed.issue]);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await action(parsed.value);
    } catch (err) {
      if (err instanceof ApiFailure && err.details.length > 0) {
        setIssues(locate(text, err.details));
        setChecked('invalid');
        setError(`${err.message}: see the marked lines`);
      } else {
        setError(message(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const save = () =>
    withBody(async (body) => {
      const saved = await client.call<ConfigDoc>(path ? 'PUT' : 'POST', path ?? '/config', body);
      go(`/configs/${encodeURIComponent(saved.id)}`);
    });
  const preview = () =>
    withBody(async (body) => {
      setPreviews(undefined);
      const result = await client.call<{ Items: Preview[] }>(
        'POST',
        withQuery('/preview', { limit: 20 }),
        body,
      );
      setPreviews(result.Items);
    });

  return (
    <Page title={id === undefined ? 'New config' : `Edit ${existing.data?.name ?? 'config'}`}>
      <Failure error={existing.error} />
      {text !== undefined ? (
        <>
          <div class="editor">
            <div class="gutter" ref={gutter} aria-hidden="true">
              {Array.from({ length: lines }, (_, i) => {
                const marked = byLine.get(i + 1);
                return (
                  <div
                    key={i}
                    class={marked ? 'gutter-line marked' : 'gutter-line'}
                    title={marked?.map((m) => m.message).join('\n')}
                  >
                    {marked ? '! ' : ''}
                    {i + 1}
                  </div>
                );
              })}
            </div>
            <textarea
              ref={area}
              aria-label="Config JSON"
              aria-invalid={issues.length > 0}
              aria-describedby="config-issues"
              spellcheck={false}
              wrap="off"
              value={text}
              rows={Math.min(Math.max(lines, 12), 40)}
              onInput={(e) => setText(e.currentTarget.value)}
              onScroll={(e) => {
                if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
              }}
            />
          </div>
          <div id="config-issues" class="issues" aria-live="polite">
            {checked === 'checking' ? <p class="muted">Checking…</p> : null}
            {checked === 'valid' && issues.length === 0 ? <p class="ok">The config is valid.</p> : null}
            {issues.length > 0 ? (
              <ul aria-label="Validation issues">
                {issues.map((issue, i) => (
                  <li key={i} class="issue">
                    <button
                      type="button"
                      class="link"
                      onClick={() => goToLine(issue.line)}
                      aria-label={`Go to line ${issue.line}`}
                    >
                      line {issue.line}
                    </button>{' '}
                    {issue.path ? <code>{issue.path}</code> : null} {issue.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
          <Failure error={error} />
          <div class="actions">
            <button type="button" onClick={preview} disabled={busy}>
              Preview
            </button>
            <button type="button" onClick={save} disabled={busy}>
              Save
            </button>
            <a
              class="button secondary"
              href={id === undefined ? '#/configs' : `#/configs/${encodeURIComponent(id)}`}
            >
              Cancel
            </a>
          </div>
          {previews ? <PreviewTables previews={previews} /> : null}
        </>
      ) : null}
    </Page>
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function PreviewTables({ previews }: { previews: Preview[] }) {
  return (
    <section aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      {previews.map((p, i) => {
        const rows = p.rows ?? [];
        const columns = p.columns ?? Object.keys(rows[0] ?? {});
        return (
          <div key={i} class="preview">
            <h3>{p.extraction_name}</h3>
            {p.ok ? (
              <>
                <p class="muted">
                  {rows.length} row(s) of the first page{p.more_pages ? '; more pages follow' : ''}.
                </p>
                <Table
                  label={`Preview of ${p.extraction_name}`}
                  rows={rows}
                  rowKey={(_row, r) => r}
                  columns={columns.map((c) => ({
                    name: c,
                    cell: (row: Record<string, unknown>) => cell(row[c]),
                  }))}
                />
              </>
            ) : (
              <p class="error" role="alert">
                {p.error}
              </p>
            )}
          </div>
        );
      })}
    </section>
  );
}
