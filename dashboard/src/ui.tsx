/** Small shared pieces: hash routing, loading state, status badges, dates. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure } from './api';

/** The route after `#`, e.g. `/configs/abc` (the key never goes in it). */
export function useHashRoute(): string {
  const read = (): string => decodeURI(location.hash.replace(/^#/, '')) || '/configs';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = (): void => setRoute(read());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function go(route: string): void {
  location.hash = `#${route}`;
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  reload(): void;
}

/** Runs `load` on mount and whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data }),
      (err: unknown) => live && setState({ error: message(err) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function message(err: unknown): string {
  if (err instanceof ApiFailure) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export function Status({ status }: { status: string | null | undefined }) {
  const value = status ?? 'never run';
  return <span class={`badge badge-${value.replace(/\s+/g, '-')}`}>{value}</span>;
}

/** A date as `2026-11-30 02:15:04 UTC`. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function Failure({ error }: { error?: string }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Notice({ text }: { text?: string }) {
  return text ? (
    <p class="ok" role="status">
      {text}
    </p>
  ) : null;
}

export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{title}</h1>
        {actions ? <div class="actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

export interface Column<T> {
  name: string;
  cell(row: T): ComponentChildren;
}

/** A table with an accessible name; on a phone each row becomes a card, its cells labelled by column. */
export function Table<T>({
  label,
  columns,
  rows,
  rowKey,
}: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey(row: T, index: number): string | number;
}) {
  return (
    <div class="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.name} scope="col">
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)}>
              {columns.map((c) => (
                <td key={c.name} data-label={c.name}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled text input. */
export function Field({
  label,
  value,
  onValue,
  type = 'text',
  required = false,
  autocomplete = 'off',
}: {
  label: string;
  value: string;
  onValue(value: string): void;
  type?: 'text' | 'password';
  required?: boolean;
  autocomplete?: string;
}) {
  const props = {
    value,
    required,
    autocomplete,
    onInput: (e: Event) => onValue((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <label>
      {label}
      {type === 'password' ? <input type="password" {...props} /> : <input type="text" {...props} />}
    </label>
  );
}
