import { afterEach, beforeEach, jest } from '@jest/globals';

export interface CapturedOutput {
  /** Everything written to stdout and stderr during the current test. */
  text(): string;
  /** The JSON lines among it (Powertools Logger's), parsed. */
  logLines(): Array<Record<string, unknown>>;
}

/**
 * Captures stdout and stderr for each test of the calling block (a `describe`, or the file), so a
 * test can read the log lines the code under test wrote, and check what they leave out.
 */
export function captureOutput(): CapturedOutput {
  let written: string[] = [];
  beforeEach(() => {
    written = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  const text = () => written.join('');
  return {
    text,
    logLines: () =>
      text()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
