/** Errors of the webhook simulator. Each carries what its caller needs to print one clear line. */

export class UnicoSimError extends Error {
  override readonly name: string = 'UnicoSimError';
}

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends UnicoSimError {
  override readonly name = 'UsageError';
}

/** The OAuth2 provider did not hand out a token. Never carries the client secret. */
export class TokenError extends UnicoSimError {
  override readonly name = 'TokenError';
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** One line for a token that could not be had: where from, why, and that nothing was sent. */
export function noTokenMessage(tokenUrl: string | undefined, error: TokenError, target: string): string {
  return `no token from the OAuth2 provider ${tokenUrl ?? ''}: ${error.message}; nothing was sent to ${target} `
    + '(check --oauth2-token-url, --client-id and --client-secret)';
}
