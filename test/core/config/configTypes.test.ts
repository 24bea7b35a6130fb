/**
 * The config types are generated from the joi schema (one source of truth). This test
 * fails when `types.generated.ts` drifts from the schema; `npm run gen:types` rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertSchema } from 'joi-to-typescript';
import Joi, { type AnySchema } from 'joi';
import * as schemas from '../../../shared/core/config/schema';

const target = join(__dirname, '../../../shared/core/config/types.generated.ts');

function generate(): string {
  const settings = {
    defaultToRequired: false,
    treatDefaultedOptionalAsRequired: true,
    supplyDefaultsInType: false,
    sortPropertiesByName: false,
    commentEverything: false,
    unknownTypeForUnknownFields: true,
  } as Record<string, unknown>;
  const parts = (Object.values(schemas) as unknown[])
    .filter((s): s is AnySchema => Joi.isSchema(s))
    .map((s) => convertSchema(settings, s, undefined, true))
    .filter((c) => c !== undefined)
    .map((c) => c.content);
  const header =
    '/* eslint-disable */\n// Generated from shared/core/config/schema.ts by `npm run gen:types`. Do not edit.\n\n';
  return header + parts.join('\n\n') + '\n';
}

test('types.generated.ts matches the joi schema', () => {
  const text = generate();
  if (process.env.UPDATE_TYPES === '1') writeFileSync(target, text);
  expect(readFileSync(target, 'utf8')).toBe(text);
});
