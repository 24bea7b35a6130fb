/**
 * Turning a request body into the config document to store: validation (every
 * issue at once, with its path) and the ids the server owns.
 *
 * - Create: the config and each extraction get a new id; ids in the body are
 *   ignored (a copied config must not share extraction ids, or their logs and
 *   `last` records would mix).
 * - Update: the config keeps its id; an extraction keeps the id it names, which
 *   must be one of this config's (else 400); one without an id takes the id of the
 *   first current extraction with the same name that no other claims (names may
 *   repeat: same-named ones pair up in order), so editing a config without its ids
 *   keeps each extraction's logs and `last`; otherwise a new id.
 * - Both fill the deployment's default bucket into every `s3_destiny` without one.
 */
import { outputBucketProblem, type OutputBuckets } from '../core/bucketName';
import { apiConfigSchema } from '../core/config/schema';
import type { ApiConfig, Extraction } from '../core/config/types';
import { formatPath, validateConfig, type ValidationIssue } from '../core/config/validate';

export type PreparedConfig = { ok: true; config: ApiConfig } | { ok: false; issues: ValidationIssue[] };

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NOT_AN_OBJECT: ValidationIssue = { path: '', message: 'the config must be a JSON object' };

function withoutId<T extends JsonObject>(value: T): Omit<T, 'id'> {
  const { id: _id, ...rest } = value;
  return rest;
}

/** The body with the config's `id` removed and, when asked, the extractions' ids too. */
function stripIds(body: JsonObject, stripExtractionIds: boolean): JsonObject {
  // `warnings` is part of a save's answer, not of the config: an answer sent back as is saves.
  const { warnings: _answered, ...config } = body;
  const rest = withoutId(config);
  if (!stripExtractionIds || !Array.isArray(rest.extractions)) return rest;
  return { ...rest, extractions: rest.extractions.map((e: unknown) => (isObject(e) ? withoutId(e) : e)) };
}

/** `{ id, ...rest }`: the id first, as a reader expects it. */
function withIdFirst<T extends { id?: string }>(value: T, id: string): T {
  return { id, ...withoutId(value) } as T;
}

/**
 * `validateConfig`, made total: its second pass (rules joi cannot express) walks
 * the value joi returned even when joi rejected it, and a few wrong shapes make it
 * throw (`"transformations": 0` did, found by the property test). A body that
 * does that is invalid anyway; answer with joi's issues instead of a 500.
 */
function validateSafely(input: unknown, defaultBucket?: string): PreparedConfig {
  try {
    return validateConfig(input, { defaultBucket });
  } catch {
    const { error } = apiConfigSchema.validate(input, { abortEarly: false, errors: { label: false } });
    const issues = (error?.details ?? []).map((d) => ({ path: formatPath(d.path), message: d.message }));
    return {
      ok: false,
      issues: issues.length > 0 ? issues : [{ path: '', message: 'the config cannot be validated' }],
    };
  }
}

/** A config to preview, not to save: validated, ids left as they are. */
export function prepareUnsavedConfig(body: unknown): PreparedConfig {
  if (!isObject(body)) return { ok: false, issues: [NOT_AN_OBJECT] };
  return validateSafely(body);
}

export function prepareNewConfig(body: unknown, newId: () => string, defaultBucket?: string): PreparedConfig {
  if (!isObject(body)) return { ok: false, issues: [NOT_AN_OBJECT] };
  const result = validateSafely(stripIds(body, true), defaultBucket);
  if (!result.ok) return result;
  const config = withIdFirst(result.config, newId());
  config.extractions = config.extractions.map((e) => withIdFirst(e, newId()));
  return { ok: true, config };
}

export function prepareUpdatedConfig(
  body: unknown,
  current: ApiConfig,
  configId: string,
  newId: () => string,
  defaultBucket?: string,
): PreparedConfig {
  if (!isObject(body)) return { ok: false, issues: [NOT_AN_OBJECT] };
  const issues: ValidationIssue[] = [];
  if (body.id !== undefined && body.id !== configId) {
    issues.push({ path: 'id', message: `must be "${configId}" (the id in the URL) or absent` });
  }
  const known = new Set(
    current.extractions.map((e) => e.id).filter((id): id is string => typeof id === 'string'),
  );
  const claimed = new Map<string, number>();
  const extractions: unknown[] = Array.isArray(body.extractions) ? body.extractions : [];
  extractions.forEach((extraction, i) => {
    if (!isObject(extraction) || typeof extraction.id !== 'string') return;
    const id = extraction.id;
    if (!known.has(id)) {
      issues.push({
        path: `extractions[${i}].id`,
        message: `config ${configId} has no extraction with id "${id}"`,
      });
    } else if (claimed.has(id)) {
      issues.push({
        path: `extractions[${i}].id`,
        message: `duplicates the id of extractions[${claimed.get(id)}]`,
      });
    } else {
      claimed.set(id, i);
    }
  });
  const result = validateSafely(stripIds(body, false), defaultBucket);
  if (!result.ok) issues.push(...result.issues);
  if (issues.length > 0 || !result.ok) return { ok: false, issues };

  const config = withIdFirst(result.config, configId);
  config.extractions = config.extractions.map((extraction: Extraction) => {
    if (extraction.id !== undefined) return extraction;
    // Names may repeat: the first unclaimed current extraction of the name, in order.
    const previous = current.extractions.find(
      (e) => e.name === extraction.name && e.id !== undefined && !claimed.has(e.id),
    )?.id;
    if (previous !== undefined) {
      claimed.set(previous, -1);
      return withIdFirst(extraction, previous);
    }
    return withIdFirst(extraction, newId());
  });
  return { ok: true, config };
}

/**
 * `s3_destiny.bucket`s this deployment does not write to (`ALLOWED_OUTPUT_BUCKETS`);
 * the bucket naming rules themselves are the schema's.
 */
export function outputBucketIssues(config: ApiConfig, deployment: OutputBuckets): ValidationIssue[] {
  return config.extractions.flatMap((extraction, i) => {
    const problem = outputBucketProblem(extraction.s3_destiny.bucket, deployment);
    return problem ? [{ path: `extractions[${i}].s3_destiny.bucket`, message: problem }] : [];
  });
}
