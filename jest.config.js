// Tests run as native ES modules (the project is "type": "module"); SWC strips the types.
// Each tier is a Jest project so it can be run alone: `npx jest --selectProjects unit`.
const transform = {
  '^.+\\.ts$': ['@swc/jest', {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
    module: { type: 'es6' },
  }],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
  // A mutation run (npm run mutation) keeps a copy of the project there while it runs; Jest would
  // otherwise see a second package.json of the same name and warn on every run.
  // dist/ is what npm run build compiles for the package: nothing there for Jest to map.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/', '<rootDir>/dist/'],
};

export default {
  // Two files at a time on the two cores the project is built on: most of the end-to-end and
  // integration files wait on emulators, child processes and timers rather than compute, so a
  // second worker nearly halves npm test; Jest's default here would be one (cores minus one).
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/plain-summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/e2e-timeout.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/e2e-timeout.ts'] },
    // npm pack, the tarball installed in a fresh folder, a second CDK app synthesised there.
    { ...common, displayName: 'package', testMatch: ['<rootDir>/test/package/**/*.test.ts'] },
    // Load runs alone (npm run test:load, after the other tiers in npm test): 500 deliveries in
    // flight take both cores, and a test beside it would measure the machine, not the receiver.
    { ...common, displayName: 'load', testMatch: ['<rootDir>/test/load/**/*.test.ts'] },
  ],
};
