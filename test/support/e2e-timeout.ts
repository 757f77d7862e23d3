import { jest } from '@jest/globals';

// End-to-end files start whole local stacks in their hooks: with two test files at a time on two
// cores, a start can take longer than Jest's default 5 s. Each test keeps any tighter limit it sets.
jest.setTimeout(60_000);
