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
        path: [
          '^shared/(extract|engine|adapters|pipeline|output|api)',
          '^services',
          'node_modules/(@aws-sdk|undici|express|winston|better-sqlite3|@pulumi)',
        ],
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
      from: { path: '^shared/(engine|extract|pipeline|output)' },
      to: { path: ['^shared/adapters', '^services', 'node_modules/@aws-sdk'] },
    },
    {
      name: 'engine-no-fs',
      severity: 'error',
      from: { path: '^shared/(engine|extract|pipeline|output|ports)' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|child_process)$' },
    },
    {
      name: 'pipeline-not-engine',
      comment:
        'The pipeline and the in-process engine are siblings: what both use lives in core, extract or output.',
      severity: 'error',
      from: { path: '^shared/pipeline' },
      to: { path: '^shared/engine' },
    },
    {
      name: 'engine-not-pipeline',
      severity: 'error',
      from: { path: '^shared/engine' },
      to: { path: '^shared/pipeline' },
    },
    {
      name: 'api-not-engine',
      comment: 'The config API starts runs through the pipeline; preview builds on the extraction kit.',
      severity: 'error',
      from: { path: '^shared/api' },
      to: { path: '^shared/engine' },
    },
    {
      name: 'output-below-run-loops',
      comment: 'The write routine and encoders serve both run loops and know neither.',
      severity: 'error',
      from: { path: '^shared/output' },
      to: { path: ['^shared/(engine|pipeline|api)', '^services'] },
    },
    {
      name: 'product-not-test',
      comment:
        'Product code (shared, services, infra) never imports the tests or the benchmark: the build ships only the product.',
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
