import { ConfigError, ReferenceResolutionError, TransformationError } from '../../shared/core/errors';

describe('core errors', () => {
  test.each([
    ['ConfigError', ConfigError],
    ['ReferenceResolutionError', ReferenceResolutionError],
    ['TransformationError', TransformationError],
  ] as const)('%s is an Error with its own name, message and cause', (name, ErrorClass) => {
    const cause = new Error('root');
    const error = new ErrorClass('boom', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.name).toBe(name);
    expect(error.message).toBe('boom');
    expect(error.cause).toBe(cause);
  });

  test('the cause is optional', () => {
    expect(new ConfigError('x').cause).toBeUndefined();
  });

  test('ReferenceResolutionError carries the reference as written', () => {
    const error = new ReferenceResolutionError('missing', { reference: '${last::id}' });
    expect(error.reference).toBe('${last::id}');
    expect(new ReferenceResolutionError('missing').reference).toBe('');
  });
});
