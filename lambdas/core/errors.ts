/**
 * The errors the receiver's domain raises. They carry what a caller needs and nothing about
 * HTTP: the intake handler maps them to answers in one place (lambdas/intake/http-responses.ts).
 */
export abstract class ReceiverError extends Error {
  abstract override readonly name: string;
}

/** Credentials missing or wrong. `challenge` is the WWW-Authenticate value for the mode. */
export class UnauthorizedError extends ReceiverError {
  override readonly name = 'UnauthorizedError';
  readonly challenge: string;
  /** Why, for the logs only (e.g. "missing", "mismatch", "expired"); never shown to the caller. */
  readonly reason: string;
  constructor(challenge: string, reason: string) {
    super(`unauthorized: ${reason}`);
    this.challenge = challenge;
    this.reason = reason;
  }
}

export class InvalidJsonError extends ReceiverError {
  override readonly name = 'InvalidJsonError';
  constructor() {
    super('body is not a JSON object');
  }
}

export interface PayloadIssue {
  readonly path: string;
  readonly message: string;
}

export class InvalidPayloadError extends ReceiverError {
  override readonly name = 'InvalidPayloadError';
  readonly issues: readonly PayloadIssue[];
  constructor(issues: readonly PayloadIssue[]) {
    super(`payload breaks the schema: ${issues.map((issue) => issue.path).join(', ')}`);
    this.issues = issues;
  }
}

export class PayloadTooLargeError extends ReceiverError {
  override readonly name = 'PayloadTooLargeError';
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`body is larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * A dependency (claim store, queue, credential store) failed or did not answer within the
 * response deadline. The notification was not durably taken: the sender must retry.
 */
export class DependencyUnavailableError extends ReceiverError {
  override readonly name = 'DependencyUnavailableError';
  readonly dependency: string;
  constructor(dependency: string, cause: unknown) {
    super(`${dependency} unavailable: ${describeCause(cause)}`, { cause });
    this.dependency = dependency;
  }
}

/** The time left before the response deadline ran out while waiting for `operation`. */
export class DeadlineExceededError extends ReceiverError {
  override readonly name = 'DeadlineExceededError';
  readonly operation: string;
  constructor(operation: string) {
    super(`deadline exceeded during ${operation}`);
    this.operation = operation;
  }
}

/**
 * Settings are missing or invalid: raised once, where they are read (a function's start, `npm
 * start`, `cdk synth`), with every problem at once, one line each naming the setting.
 */
export class ConfigurationError extends ReceiverError {
  override readonly name = 'ConfigurationError';
  readonly problems: readonly string[];
  constructor(heading: string, problems: readonly string[]) {
    super(`${heading}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
