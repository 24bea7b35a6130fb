/**
 * The tests' fake upstream API is the demo API the `demo` command serves
 * (services/cli/demoApi.ts); tests import it from here.
 */
export * from '../../services/cli/demoApi';
