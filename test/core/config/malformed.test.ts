/** Validation never throws, whatever the shape: found by the API's property-based test. */
import { validateConfig } from '../../../shared/core/config/validate';

test.each([
  [
    'transformations that is not a list',
    { name: 'x', extractions: [{ name: 'e', endpoint: { url: 'https://a.example' }, transformations: 0 }] },
  ],
  ['an empty object', {}],
  ['a string', ''],
  ['null', null],
  ['extractions of scalars', { name: 'x', extractions: [1, 'two', null] }],
  [
    'an endpoint that is a string',
    { name: 'x', extractions: [{ name: 'e', endpoint: 'https://a.example' }] },
  ],
  [
    'a data_schema that is a list',
    { name: 'x', extractions: [{ name: 'e', endpoint: { url: 'https://a.example' }, data_schema: ['a'] }] },
  ],
  [
    'auth that is a number',
    { name: 'x', auth: 3, extractions: [{ name: 'e', endpoint: { url: 'https://a.example' } }] },
  ],
])('%s gives issues, not an exception', (_name, input) => {
  const result = validateConfig(input);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
});
