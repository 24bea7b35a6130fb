/**
 * Validation of a config document: joi for shape and defaults, then the rules joi
 * cannot express (condition syntax, reference types, transformation params,
 * duplicate columns, two extractions writing one file). URLs are any non-empty
 * string here, as the original tool stores them; a run checks them once resolved. Every problem is reported at once, each with its exact path.
 */
import type Joi from 'joi';
import { parseCondition } from '../condition';
import { type DataSchema, schemaColumns } from '../dataSchema';
import { objectKey } from '../outputKey';
import { parseSchedule } from '../schedule';
import { collectReferences, findReferences, isReferenceType, REFERENCE_TYPES } from '../references';
import { TRANSFORMATION_ACTIONS } from '../transformations';
import { apiConfigSchema, MAX_TRANSFORMATION_PARAM_LENGTH } from './schema';
import type { DataSchemaDoc } from './types.generated';
import type { ApiConfig, Extraction } from './types';

export interface ValidationIssue {
  /** Where the problem is, e.g. `extractions[0].pagination.parameters.step`. */
  path: string;
  /** Why, e.g. `must be a number`. */
  message: string;
}

/** Thrown by {@link parseConfig}; carries every issue found. */
export class ConfigValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid config:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export type ValidationResult = { ok: true; config: ApiConfig } | { ok: false; issues: ValidationIssue[] };

export interface ValidateOptions {
  /**
   * The deployment's output bucket: filled into every `s3_destiny` that names none, as
   * the original tool stores it, before two extractions' files are compared.
   */
  defaultBucket?: string;
}

const JOI_OPTIONS: Joi.ValidationOptions = {
  abortEarly: false,
  convert: true,
  errors: { label: false },
  messages: {
    'object.without': 'cannot be set together with {{#peer}}',
    'object.base': 'must be an object',
    'any.invalid': 'must not be {{#value}}',
    'string.max': 'must be at most {{#limit}} characters',
  },
};

export function formatIssue(issue: ValidationIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** `['extractions', 0, 'step']` -> `extractions[0].step`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

/**
 * Validates a config document and fills its defaults.
 *
 * @example
 * const result = validateConfig(JSON.parse(text));
 * if (!result.ok) for (const i of result.issues) console.error(formatIssue(i));
 */
export function validateConfig(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const normalized = normalizeSynonyms(input);
  const { value, error } = apiConfigSchema.validate(normalized, JOI_OPTIONS);
  if (options.defaultBucket !== undefined) fillDefaultBucket(value, options.defaultBucket);
  let issues: ValidationIssue[] = (error?.details ?? []).map(joiIssue);
  if (value && typeof value === 'object') {
    // A field joi refused (too long, wrong type) is not parsed again: one clear issue each.
    const refused = new Set(issues.map((i) => i.path));
    issues.push(...semanticIssues(value as ApiConfig).filter((i) => !refused.has(i.path)));
  }
  // Name the path the user wrote (`auth.endpoint.url`), not the normalized one.
  if (normalized !== input) {
    issues = issues.map(({ path, message }) => ({ path: synonymPath(path), message }));
  }
  if (issues.length > 0) return { ok: false, issues: dedupe(issues) };
  return { ok: true, config: value as ApiConfig };
}

function joiIssue(detail: Joi.ValidationErrorItem): ValidationIssue {
  // joi puts `without` on the object; name the key that excludes the other one.
  if (detail.type === 'object.without' && typeof detail.context?.main === 'string') {
    return { path: formatPath([...detail.path, detail.context.main]), message: detail.message };
  }
  if (detail.path.length === 0 && detail.type === 'object.base') {
    return { path: '', message: 'the config must be a JSON object' };
  }
  return { path: formatPath(detail.path), message: detail.message };
}

/**
 * Sets `s3_destiny.bucket` to `bucket` in every extraction of a config document that
 * names none (the bucket first, as the original tool writes it). Changes `document` in place.
 */
export function fillDefaultBucket(document: unknown, bucket: string): void {
  if (!isObject(document) || !Array.isArray(document.extractions)) return;
  for (const extraction of document.extractions as unknown[]) {
    if (!isObject(extraction) || !isObject(extraction.s3_destiny)) continue;
    if (extraction.s3_destiny.bucket === undefined)
      extraction.s3_destiny = { bucket, ...extraction.s3_destiny };
  }
}

/** Like {@link validateConfig} but throws {@link ConfigValidationError}. */
export function parseConfig(input: unknown): ApiConfig {
  const result = validateConfig(input);
  if (!result.ok) throw new ConfigValidationError(result.issues);
  return result.config;
}

/**
 * One seed example writes `"auth": {"endpoint": …, "response_token_key": …}`;
 * accept it as `auth.refresh_token`.
 */
function normalizeSynonyms(input: unknown): unknown {
  if (!isObject(input) || !isObject(input.auth)) return input;
  const { endpoint, response_token_key, ...rest } = input.auth;
  if (endpoint === undefined || rest.refresh_token !== undefined) return input;
  const refresh: Record<string, unknown> = { endpoint };
  if (response_token_key !== undefined) refresh.response_token_key = response_token_key;
  return { ...input, auth: { ...rest, refresh_token: refresh } };
}

/** `auth.refresh_token.endpoint.url` -> `auth.endpoint.url`, for a config written with the synonym. */
function synonymPath(path: string): string {
  return path.startsWith('auth.refresh_token.') ? `auth.${path.slice('auth.refresh_token.'.length)}` : path;
}

function semanticIssues(config: ApiConfig): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof config.schedule === 'string') {
    try {
      parseSchedule(config.schedule);
    } catch (err) {
      issues.push({ path: 'schedule', message: (err as Error).message });
    }
  }
  issues.push(...referenceIssues(config));
  const extractions: Extraction[] = Array.isArray(config.extractions) ? config.extractions : [];
  // Names may repeat (extractions are identified by their ids); output files may not.
  const writers = new Map<string, number>();
  extractions.forEach((extraction, i) => {
    if (!isObject(extraction)) return;
    const at = `extractions[${i}]`;
    const file =
      isObject(extraction.carol_destiny) && extraction.carol_destiny.write_file === false
        ? undefined
        : outputFileOf(extraction);
    if (file !== undefined) {
      const first = writers.get(file);
      if (first !== undefined) {
        issues.push({
          path: `${at}.s3_destiny`,
          message: `writes the same file as extractions[${first}] (same bucket, folder, filename and format); give one of them another folder or filename`,
        });
      } else writers.set(file, i);
    }
    const pagination = extraction.pagination;
    if (pagination?.type === 'sequential' && isObject(pagination.parameters)) {
      const condition = pagination.parameters.there_are_more_pages;
      if (typeof condition === 'string') {
        try {
          parseCondition(condition);
        } catch (err) {
          issues.push({
            path: `${at}.pagination.parameters.there_are_more_pages`,
            message: (err as Error).message,
          });
        }
      }
    }
    if (pagination?.type === 'offset' && isObject(pagination.parameters)) {
      issues.push(...offsetIssues(pagination.parameters, `${at}.pagination.parameters`));
    }
    if (isObject(extraction.data_schema)) {
      issues.push(...duplicateColumnIssues(extraction.data_schema, `${at}.data_schema`));
    }
    if (isObject(extraction.mapping_fetch) && isObject(extraction.mapping_fetch.data_schema)) {
      issues.push(
        ...duplicateColumnIssues(extraction.mapping_fetch.data_schema, `${at}.mapping_fetch.data_schema`),
      );
    }
    if (isObject(extraction.carol_destiny)) issues.push(...carolIssues(extraction, `${at}.carol_destiny`));
    (Array.isArray(extraction.transformations) ? extraction.transformations : []).forEach((t, j) => {
      if (isObject(t)) issues.push(...transformationIssues(t, `${at}.transformations[${j}]`));
    });
  });
  return issues;
}

const CAROL_AUTH_FIELDS: Record<string, readonly string[]> = {
  connector_token: ['api_key'],
  oauth: ['username', 'password', 'environment', 'organization'],
};

/**
 * `carol_destiny`: the fields its auth type needs (and none of the other's), and the
 * crosswalk among the output columns when the config fixes them (a data_schema, the
 * details' data_schema, no transformation that could add, drop or rename a column).
 */
function carolIssues(extraction: Extraction, at: string): ValidationIssue[] {
  const carol = extraction.carol_destiny as unknown as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if (typeof carol.url === 'string' && findReferences(carol.url).length === 0 && URL.canParse(carol.url)) {
    const url = new URL(carol.url);
    if (url.username || url.password)
      issues.push({
        path: `${at}.url`,
        message: 'must not hold a user or password (use carol_destiny.auth)',
      });
    if (url.search || url.hash)
      issues.push({ path: `${at}.url`, message: 'must be a base URL, without query or fragment' });
  }
  const auth = carol.auth;
  if (isObject(auth) && typeof auth.type === 'string' && CAROL_AUTH_FIELDS[auth.type]) {
    const needed = CAROL_AUTH_FIELDS[auth.type]!;
    for (const field of needed) {
      if (auth[field] === undefined)
        issues.push({ path: `${at}.auth.${field}`, message: `is required when auth.type is "${auth.type}"` });
    }
    for (const [type, fields] of Object.entries(CAROL_AUTH_FIELDS)) {
      if (type === auth.type) continue;
      for (const field of fields) {
        if (auth[field] !== undefined && !needed.includes(field))
          issues.push({ path: `${at}.auth.${field}`, message: `is only used when auth.type is "${type}"` });
      }
    }
  }
  const columns = knownOutputColumns(extraction);
  if (columns && Array.isArray(carol.crosswalk)) {
    carol.crosswalk.forEach((field, i) => {
      if (typeof field === 'string' && !columns.includes(field))
        issues.push({
          path: `${at}.crosswalk[${i}]`,
          message: `"${field}" is not an output column (the columns are: ${columns.join(', ')})`,
        });
    });
  }
  return issues;
}

/** The output columns when the config fixes them before any record arrives; undefined otherwise. */
function knownOutputColumns(extraction: Extraction): string[] | undefined {
  if (!isObject(extraction.data_schema)) return undefined;
  if (Array.isArray(extraction.transformations) && extraction.transformations.length > 0) return undefined;
  const columns = schemaColumns(extraction.data_schema as DataSchema);
  const details: unknown = extraction.mapping_fetch;
  if (isObject(details)) {
    if (!isObject(details.data_schema)) return undefined;
    const prefix = typeof details.prefix === 'string' ? details.prefix : '';
    columns.push(...schemaColumns(details.data_schema as DataSchema).map((c) => prefix + c));
  }
  return columns;
}

/** Offset pagination sends two query parameters: one name for both would lose the offset. */
function offsetIssues(parameters: Record<string, unknown>, at: string): ValidationIssue[] {
  const { offset_param: offset, limit_param: limit } = parameters;
  if (typeof offset !== 'string' || offset !== limit) return [];
  return [
    {
      path: `${at}.limit_param`,
      message: `must differ from offset_param ("${offset}"): the offset and the page size need a query parameter each`,
    },
  ];
}

function referenceIssues(config: ApiConfig): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const ref of collectReferences(config)) {
    const typo = /^(\w+):([^:].*)$/.exec(ref.type);
    if (typo && isReferenceType(typo[1] as string)) {
      // `${self:auth.token}`: one colon where two belong.
      issues.push({
        path: ref.location,
        message: `reference ${ref.raw} needs "::" between type and path, as in ${fixSeparator(ref.raw)}`,
      });
    } else if (!isReferenceType(ref.type)) {
      issues.push({
        path: ref.location,
        message: `reference ${ref.raw} has unknown type "${ref.type}" (valid: ${REFERENCE_TYPES.join(', ')})`,
      });
    } else if (ref.type === 'extracted_item' && !/^extractions\[\d+\]\.mapping_fetch\./.test(ref.location)) {
      issues.push({
        path: ref.location,
        message: `reference ${ref.raw} is only available inside mapping_fetch`,
      });
    } else if (ref.path.trim() === '') {
      issues.push({ path: ref.location, message: `reference ${ref.raw} has an empty path` });
    }
  }
  return issues;
}

/** `${self:auth.token, x}` -> `${self::auth.token, x}`. */
function fixSeparator(raw: string): string {
  return raw.replace(/^(\$[{(]\s*\w+):/, '$1::');
}

function transformationIssues(t: Record<string, unknown>, at: string): ValidationIssue[] {
  if (typeof t.action !== 'string') return [];
  const spec = TRANSFORMATION_ACTIONS[t.action];
  if (!spec) {
    const valid = Object.keys(TRANSFORMATION_ACTIONS).join(', ');
    return [{ path: `${at}.action`, message: `unknown action "${t.action}" (valid: ${valid})` }];
  }
  const params = isObject(t.params) ? t.params : {};
  const issues: ValidationIssue[] = [];
  for (const [name, kind] of Object.entries(spec.params)) {
    const value = params[name];
    const path = `${at}.params.${name}`;
    if (value === undefined) {
      if (kind !== 'optional-integer') issues.push({ path, message: `is required by action "${t.action}"` });
    } else if (kind === 'string' && typeof value !== 'string') {
      issues.push({ path, message: 'must be a string' });
    } else if (kind === 'string' && (value as string).length > MAX_TRANSFORMATION_PARAM_LENGTH) {
      issues.push({ path, message: `must be at most ${MAX_TRANSFORMATION_PARAM_LENGTH} characters` });
    } else if (kind !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
      issues.push({ path, message: 'must be an integer' });
    }
  }
  for (const name of Object.keys(params)) {
    if (!(name in spec.params)) {
      issues.push({ path: `${at}.params.${name}`, message: `is not a parameter of action "${t.action}"` });
    }
  }
  return issues;
}

function duplicateColumnIssues(schema: DataSchemaDoc, at: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, string>();
  const walk = (node: Record<string, unknown>, path: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const here = `${path}.${key}`;
      if (typeof value === 'string') {
        const first = seen.get(value);
        if (first) issues.push({ path: here, message: `column "${value}" is already produced by ${first}` });
        else seen.set(value, here);
      } else if (isObject(value)) walk(value, here);
    }
  };
  walk(schema, at);
  return issues;
}

/**
 * Where an extraction writes, as a comparable text: bucket (absent = the deployment's
 * default) and the object key a run writes, by the rule runs use. `{timestamp}` is the
 * run's start, the same for every extraction of a run, so equal texts mean one object.
 */
function outputFileOf(extraction: Extraction): string | undefined {
  const destiny: unknown = extraction.s3_destiny;
  if (!isObject(destiny) || typeof destiny.filename !== 'string' || typeof extraction.format !== 'string')
    return undefined;
  const bucket = typeof destiny.bucket === 'string' ? destiny.bucket : '';
  const folder = typeof destiny.folder === 'string' ? destiny.folder : '';
  return JSON.stringify([bucket, objectKey(folder, destiny.filename, extraction.format, SAME_RUN)]);
}

/** Any one start time: every extraction of a run shares it. */
const SAME_RUN = new Date(0);

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = formatIssue(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
