/** How configs and extractions are identified and named, whichever way they run. */
import type { ApiConfig, Extraction } from './config/types';

/** A stable id for a config that has none (a file run from the command line). */
export function localId(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-');
}

export function configIdOf(config: ApiConfig): string {
  return config.id ?? `local-${localId(config.name)}`;
}

/**
 * An extraction's id: its own, or (a file run from the command line) one derived from
 * the config and its name; names may repeat, so the second extraction of a name gets
 * `#2`, and so on (the first keeps the plain id, and with it the `last` state it had).
 */
export function extractionIdOf(config: ApiConfig, extraction: Extraction): string {
  if (extraction.id !== undefined) return extraction.id;
  const base = `${configIdOf(config)}.${localId(extraction.name)}`;
  const position = config.extractions.indexOf(extraction);
  const earlier = config.extractions
    .slice(0, Math.max(position, 0))
    .filter((e) => e.name === extraction.name);
  return earlier.length === 0 ? base : `${base}#${earlier.length + 1}`;
}

/**
 * How people read which extraction it is: its name, with its position (1-based) when
 * another extraction of the config has the same name.
 */
export function extractionLabel(config: ApiConfig, position: number): string {
  const name = config.extractions[position]?.name ?? `#${position + 1}`;
  const shared = config.extractions.filter((e) => e.name === name).length > 1;
  return shared ? `${name} (#${position + 1})` : name;
}
