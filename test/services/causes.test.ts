import { causeChain } from '../../services/causes';

describe('causeChain', () => {
  it('lists the error and each cause under it, outermost first', () => {
    const root = new TypeError('connect ECONNREFUSED');
    const middle = new Error('cannot reach DynamoDB', { cause: root });
    const outer = new RangeError('bootstrap failed', { cause: middle });
    expect(causeChain(outer)).toBe(
      'RangeError: bootstrap failed <- Error: cannot reach DynamoDB <- TypeError: connect ECONNREFUSED',
    );
  });

  it('renders a non-Error value, alone or as the last cause', () => {
    expect(causeChain('plain text')).toBe('plain text');
    expect(causeChain(new Error('outer', { cause: 42 }))).toBe('Error: outer <- 42');
  });

  it('stops after ten links of a cyclic chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causeChain(b).split(' <- ')).toHaveLength(10);
  });
});
