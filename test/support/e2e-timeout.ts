import { jest } from '@jest/globals';

// Integration and end-to-end files start emulators and whole local stacks: with two test files at a time on two
// cores, a start can take longer than Jest's default 5 s. Each test keeps any tighter limit it sets.
jest.setTimeout(60_000);
