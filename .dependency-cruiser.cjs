/**
 * The dependency rule (DESIGN.md "Layers"): the pure core imports no AWS SDK,
 * HTTP client or server, database or filesystem; handlers depend on ports only.
 */
const io = '^(node:)?(fs|fs/promises|http|https|net|dns|tls|child_process|dgram|cluster|worker_threads)$';
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'shared/core holds pure logic: no I/O, no AWS, no HTTP, no database.',
      severity: 'error',
      from: { path: '^shared/core' },
      to: {
        path: ['^shared/(extract|engine|adapters|pipeline)', '^services', 'node_modules/(@aws-sdk|undici|express|winston|better-sqlite3|@pulumi)'],
      },
    },
    {
      name: 'core-no-node-io',
      severity: 'error',
      from: { path: '^shared/core' },
      to: { dependencyTypes: ['core'], path: io },
    },
    {
      name: 'engine-uses-ports-not-adapters',
      comment: 'The engine reaches storage through shared/ports; adapters are chosen by composition roots.',
      severity: 'error',
      from: { path: '^shared/(engine|extract|pipeline)' },
      to: { path: ['^shared/adapters', '^services', 'node_modules/@aws-sdk'] },
    },
    {
      name: 'engine-no-fs',
      severity: 'error',
      from: { path: '^shared/(engine|extract|pipeline|ports)' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|child_process)$' },
    },
    {
      name: 'product-not-test',
      comment: 'Product code (shared, services, infra) never imports the tests or the benchmark: the build ships only the product.',
      severity: 'error',
      from: { path: '^(shared|services|infra)/' },
      to: { path: '^(test|bench)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
