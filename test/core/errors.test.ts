import {
  ConfigError,
  errorMessage,
  isPermanentFailure,
  PermanentFailure,
  ReferenceResolutionError,
  TransformationError,
} from '../../shared/core/errors';
import { SecretOriginError } from '../../shared/core/secretOrigins';
import { BlockedAddressError } from '../../shared/extract/addressGuard';
import { TokenRefreshError } from '../../shared/extract/auth';
import { HttpRequestError } from '../../shared/extract/http';
import { PaginationLimitError, PaginationLoopError } from '../../shared/extract/paginationErrors';

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

describe('permanent failures', () => {
  test.each([
    ['ConfigError', new ConfigError('x')],
    ['ReferenceResolutionError', new ReferenceResolutionError('x')],
    ['TransformationError', new TransformationError('x')],
    ['SecretOriginError', new SecretOriginError('x')],
    ['HttpRequestError', new HttpRequestError('x', 'https://up/x', 500)],
    ['BlockedAddressError', new BlockedAddressError('169.254.169.254')],
    ['TokenRefreshError', new TokenRefreshError('x')],
    ['PaginationLimitError', new PaginationLimitError(10)],
    ['PaginationLoopError', new PaginationLoopError(2, 1, 'https://up/x')],
  ])('%s fails the extraction at once', (_name, error) => {
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(isPermanentFailure(error)).toBe(true);
  });

  test.each([
    ['a plain Error', new Error('socket hang up')],
    ['a TypeError', new TypeError('x is undefined')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('%s is taken as transient, and the work is tried again', (_name, thrown) => {
    expect(isPermanentFailure(thrown)).toBe(false);
  });

  test('errorMessage reads an Error or the text of anything thrown', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(42)).toBe('42');
  });
});
