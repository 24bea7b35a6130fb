/**
 * Joi schema -> OpenAPI 3.0 schema object, from `schema.describe()`. Written here
 * rather than taken from joi-to-swagger, which throws on what the config schema
 * uses (`alternatives.conditional` with `switch`, `Joi.link`).
 *
 * - An object with `.meta({ className })` becomes a component, referenced by `$ref`
 *   (the same names joi-to-typescript gives the generated types).
 * - `alternatives.conditional` on `.type` becomes `oneOf` with a discriminator; its
 *   `otherwise` branch only shapes error messages and is left out.
 * - `Joi.link('#id')` becomes a `$ref` to the component of the schema with that id.
 * - `.without()` becomes `not: { required: [a, b] }`.
 * - `.meta({ openapi: {…} })` is merged into the schema object, for what joi checks
 *   in code but OpenAPI can state (the shape of a cron expression).
 * - `.empty(null)` (null read as absent) becomes `nullable: true`.
 */
import type Joi from 'joi';

export type SchemaObject = { [key: string]: unknown };

interface Rule {
  name: string;
  args?: { limit?: number; regex?: string; sign?: string };
}

interface Flags {
  presence?: 'required' | 'optional' | 'forbidden';
  default?: unknown;
  description?: string;
  only?: boolean;
  unknown?: boolean;
  id?: string;
  /** `.empty(null)`: null is accepted as absent (config keys the original tool spells as null). */
  empty?: { allow?: unknown[] };
}

interface Description {
  type: string;
  flags?: Flags;
  metas?: Array<{ className?: string; openapi?: SchemaObject }>;
  rules?: Rule[];
  allow?: unknown[];
  invalid?: unknown[];
  keys?: Record<string, Description>;
  patterns?: Array<{ schema?: Description; regex?: string; rule: Description }>;
  items?: Description[];
  matches?: Array<{ schema?: Description; switch?: Array<{ is: Description; then: Description }> }>;
  link?: { ref: { path: string[] } };
  dependencies?: Array<{ rel: string; key: string | null; peers: string[] }>;
}

const refTo = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

/** A default worth showing: a literal, not joi's `{ special: 'deep' }` or a function. */
function literalDefault(flags: Flags | undefined): unknown {
  const value = flags?.default;
  if (value === undefined || typeof value === 'function') return undefined;
  if (value && typeof value === 'object' && 'special' in value) return undefined;
  return value;
}

function regexSource(regex: string): string {
  const match = /^\/(.*)\/[a-z]*$/s.exec(regex);
  return match ? match[1]! : regex;
}

/** Collects components while converting; one instance per document. */
export class OpenApiSchemas {
  readonly components: Record<string, SchemaObject> = {};
  private readonly ids = new Map<string, string>();

  /** The schema object for `schema` (a `$ref` when it names a class). */
  convert(schema: Joi.Schema): SchemaObject {
    return this.fromDescription(schema.describe() as unknown as Description);
  }

  /** Registers `schema` as a component (it must carry a className) and returns its `$ref`. */
  component(schema: Joi.Schema): SchemaObject {
    const ref = this.convert(schema);
    if (!('$ref' in ref) && !('allOf' in ref))
      throw new Error('component() needs a schema with .meta({ className })');
    return ref;
  }

  private fromDescription(d: Description): SchemaObject {
    const className = d.metas?.find((m) => typeof m.className === 'string')?.className;
    const fallback = literalDefault(d.flags);
    const nullable = d.flags?.empty?.allow?.includes(null) === true;
    if (className === undefined) {
      const body = this.body(d);
      if (fallback !== undefined) body.default = fallback;
      if (nullable) body.nullable = true;
      return body;
    }
    if (!(className in this.components)) {
      // Registered before the body is built, so a schema that links to itself resolves.
      this.components[className] = {};
      if (d.flags?.id) this.ids.set(d.flags.id, className);
      this.components[className] = this.body(d);
    }
    // OpenAPI 3.0 ignores siblings of `$ref`; a default or nullable goes beside it through allOf.
    if (fallback === undefined && !nullable) return refTo(className);
    return {
      allOf: [refTo(className)],
      ...(fallback === undefined ? {} : { default: fallback }),
      ...(nullable ? { nullable: true } : {}),
    };
  }

  private body(d: Description): SchemaObject {
    const out = this.shape(d);
    if (d.flags?.description) out.description = d.flags.description;
    const values = (d.allow ?? []).filter((v) => v === null || typeof v !== 'object');
    if (d.flags?.only && values.length > 0) out.enum = values;
    if (values.includes(null)) out.nullable = true;
    if (d.invalid?.length) out.not = { enum: d.invalid };
    // What joi checks in code (a custom rule, a parser) but a schema can still say.
    for (const meta of d.metas ?? []) if (meta.openapi) Object.assign(out, meta.openapi);
    return out;
  }

  private shape(d: Description): SchemaObject {
    switch (d.type) {
      case 'string':
        return this.string(d);
      case 'number':
        return number(d);
      case 'boolean':
        return { type: 'boolean' };
      case 'object':
        return this.object(d);
      case 'array':
        return this.array(d);
      case 'alternatives':
        return this.alternatives(d);
      case 'link': {
        const id = d.link?.ref.path.join('.') ?? '';
        const target = this.ids.get(id);
        if (target === undefined) throw new Error(`Joi.link to "#${id}", which has no className`);
        return refTo(target);
      }
      default:
        return {};
    }
  }

  private string(d: Description): SchemaObject {
    const out: SchemaObject = { type: 'string' };
    const allowsEmpty = (d.allow ?? []).includes('');
    for (const rule of d.rules ?? []) {
      const limit = rule.args?.limit;
      if (rule.name === 'min' && limit !== undefined && !allowsEmpty) out.minLength = limit;
      if (rule.name === 'max' && limit !== undefined) out.maxLength = limit;
      if (rule.name === 'length' && limit !== undefined) out.minLength = out.maxLength = limit;
      if (rule.name === 'pattern' && rule.args?.regex) out.pattern = regexSource(rule.args.regex);
    }
    return out;
  }

  private object(d: Description): SchemaObject {
    const out: SchemaObject = { type: 'object' };
    if (d.keys) {
      const properties: Record<string, SchemaObject> = {};
      const required: string[] = [];
      for (const [name, key] of Object.entries(d.keys)) {
        properties[name] = this.fromDescription(key);
        if (key.flags?.presence === 'required') required.push(name);
      }
      out.properties = properties;
      if (required.length) out.required = required;
    }
    const pattern = d.patterns?.[0];
    if (pattern) out.additionalProperties = this.fromDescription(pattern.rule);
    else out.additionalProperties = d.keys === undefined || d.flags?.unknown === true;
    const exclusions = (d.dependencies ?? [])
      .filter((dep) => dep.rel === 'without' && dep.key !== null)
      .flatMap((dep) => dep.peers.map((peer) => [dep.key!, peer] as const));
    if (exclusions.length) {
      out.allOf = exclusions.map(([a, b]) => ({ not: { required: [a, b] } }));
      const note = exclusions.map(([a, b]) => `\`${a}\` cannot be set together with \`${b}\`.`).join(' ');
      out.description = d.flags?.description ? `${d.flags.description} ${note}` : note;
    }
    return out;
  }

  private array(d: Description): SchemaObject {
    const out: SchemaObject = { type: 'array' };
    const items = (d.items ?? []).map((item) => this.fromDescription(item));
    out.items = items.length === 0 ? {} : items.length === 1 ? items[0] : { oneOf: items };
    for (const rule of d.rules ?? []) {
      if (rule.name === 'min' && rule.args?.limit !== undefined) out.minItems = rule.args.limit;
      if (rule.name === 'max' && rule.args?.limit !== undefined) out.maxItems = rule.args.limit;
    }
    return out;
  }

  private alternatives(d: Description): SchemaObject {
    const oneOf: SchemaObject[] = [];
    const mapping: Record<string, string> = {};
    for (const match of d.matches ?? []) {
      if (match.schema) oneOf.push(this.fromDescription(match.schema));
      for (const branch of match.switch ?? []) {
        const then = this.fromDescription(branch.then);
        oneOf.push(then);
        const value = (branch.is.allow ?? []).find((v): v is string => typeof v === 'string');
        if (value !== undefined && typeof then.$ref === 'string') mapping[value] = then.$ref;
      }
    }
    const out: SchemaObject = { oneOf };
    if (Object.keys(mapping).length) out.discriminator = { propertyName: 'type', mapping };
    return out;
  }
}

function number(d: Description): SchemaObject {
  const rules = d.rules ?? [];
  const out: SchemaObject = { type: rules.some((r) => r.name === 'integer') ? 'integer' : 'number' };
  for (const rule of rules) {
    const limit = rule.args?.limit;
    if (rule.name === 'min' && limit !== undefined) out.minimum = limit;
    if (rule.name === 'max' && limit !== undefined) out.maximum = limit;
    if (rule.name === 'greater' && limit !== undefined)
      Object.assign(out, { minimum: limit, exclusiveMinimum: true });
    if (rule.name === 'less' && limit !== undefined)
      Object.assign(out, { maximum: limit, exclusiveMaximum: true });
  }
  const sign = rules.find((r) => r.name === 'sign')?.args?.sign;
  if (sign === 'positive') Object.assign(out, { minimum: 0, exclusiveMinimum: true });
  if (sign === 'negative') Object.assign(out, { maximum: 0, exclusiveMaximum: true });
  return out;
}
