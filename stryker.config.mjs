// Mutation testing of the modules whose every branch decides who may deliver, whether a
// notification is durably taken, how long a failing dependency is left alone, and what a call to
// Unico's answer means. Run with `npm run mutation` (then tools/mutation-scores.ts fails the run
// when a module is under 90%); it takes long, so it is not part of `npm test`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.mjs',
    enableFindRelatedTests: true,
  },
  // The tests run as native ES modules, as in `npm run test:unit`.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  mutate: [
    'lambdas/core/acceptance/accept-notification.ts',
    'lambdas/core/notification.ts',
    'lambdas/core/deadline.ts',
    'lambdas/adapters/dynamodb/dynamodb-claim-store.ts',
    'lambdas/adapters/dynamodb/dynamodb-claim-ledger.ts',
    'lambdas/core/backoff.ts',
    'lambdas/contracts/backoff-schedule.ts',
    'lambdas/core/unico/request-budget.ts',
    'lambdas/adapters/unico/unico-api-client.ts',
    'lambdas/adapters/unico/unico-http.ts',
    'lambdas/adapters/unico/unico-token-source.ts',
    'lambdas/core/processing/process-notification.ts',
    'lambdas/processor/retry-delay.ts',
    'lambdas/core/tracking/fallback-run.ts',
    // Who may deliver: the webhook's authenticators, the key set the JWT mode reads, the secret
    // the Basic and API-key modes read, and the intake's mapping of every error to its answer.
    'lambdas/core/auth/static-credentials.ts',
    'lambdas/core/auth/jwt-authenticator.ts',
    'lambdas/core/auth/json-web-key-set.ts',
    'lambdas/intake/http-responses.ts',
    'lambdas/intake/intake-handler.ts',
    'lambdas/adapters/secrets-manager/secret-credentials.ts',
    'lambdas/adapters/secrets-manager/json-secrets.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // The sandbox copies the project; the synthesized stacks and local state are not needed. Nor is
  // tsconfig.json (SWC strips the types without it): left in, Stryker rewrites it through the
  // JavaScript API of TypeScript, which TypeScript 7 (the native compiler) no longer has.
  ignorePatterns: ['cdk.out', '.local', 'reports', 'coverage', '/tsconfig.json'],
  tempDirName: '.stryker-tmp',
};
