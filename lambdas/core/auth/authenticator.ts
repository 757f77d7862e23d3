/** Request headers as API Gateway passes them: names in lower case. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/**
 * Decides whether a request carries valid credentials for the configured mode. Throws
 * UnauthorizedError when it does not, DependencyUnavailableError when it cannot tell (the
 * credential store or the key set could not be read).
 */
export interface Authenticator {
  authenticate(headers: RequestHeaders): Promise<void>;
}

export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export const REALM = 'unico-webhooks';

/** Accepts every request: only for development stages (the CDK refuses it elsewhere). */
export class OpenAuthenticator implements Authenticator {
  async authenticate(): Promise<void> {}
}
