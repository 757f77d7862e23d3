// The unit project of jest.config.js on its own, for Stryker: the mutated modules are covered by
// unit tests, and the other tiers (CDK synth, local emulators, the whole stack) would only slow
// every mutant's run down. Taken from jest.config.js so the two cannot drift apart.
import config from './jest.config.js';

const unit = config.projects.find((project) => project.displayName === 'unit');
if (unit === undefined) throw new Error('jest.config.js has no "unit" project');

export default unit;
