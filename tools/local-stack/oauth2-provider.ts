import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

/**
 * A local OAuth2 provider for the `oauth2` mode: client-credentials grant, RS256 tokens, a JWKS.
 * It issues tokens only to the client id and secret it was started with (oauth2-mock-server
 * would give one to anybody), so rehearsals fail the way a wrong secret fails in production.
 */
export interface RunningOAuth2Provider {
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly audience: string;
  stop(): Promise<void>;
}

export async function startOAuth2Provider(options: { readonly audience: string }): Promise<RunningOAuth2Provider> {
  const clientId = `unico-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const server = new OAuth2Server();
  // A key made here and added (rather than `keys.generate`), as the store's own check for a plain
  // object rejects JWKs created in another realm, such as a test runner's sandbox.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await server.issuer.keys.add({ ...privateKey.export({ format: 'jwk' }), alg: 'RS256', kid: randomBytes(8).toString('hex') });

  server.service.on('beforeResponse', (response: { statusCode: number; body: unknown }, request: IncomingMessage) => {
    if (!presentsClient(request, clientId, clientSecret)) {
      response.statusCode = 401;
      response.body = { error: 'invalid_client' };
    }
  });
  server.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    token.payload.aud = options.audience;
    token.payload.client_id = clientId;
    token.payload.scope ??= 'webhooks';
  });

  await server.start(0, '127.0.0.1');
  const issuer = server.issuer.url;
  if (issuer === undefined) throw new Error('the OAuth2 provider did not report its issuer url');
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    clientId,
    clientSecret,
    audience: options.audience,
    stop: () => server.stop(),
  };
}

/** client_secret_basic or client_secret_post, as OAuth2 clients (Unico among them) may use either. */
function presentsClient(request: IncomingMessage, clientId: string, clientSecret: string): boolean {
  const fromBody = (request as IncomingMessage & { body?: Record<string, unknown> }).body ?? {};
  let presentedId = typeof fromBody.client_id === 'string' ? fromBody.client_id : undefined;
  let presentedSecret = typeof fromBody.client_secret === 'string' ? fromBody.client_secret : undefined;
  const basic = request.headers.authorization?.match(/^Basic\s+(\S+)$/i)?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      // RFC 6749 §2.3.1: both parts are form-url-encoded inside the Basic header.
      presentedId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      presentedSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    }
  }
  if (presentedId === undefined || presentedSecret === undefined) return false;
  const idMatches = sameSecret(presentedId, clientId);
  const secretMatches = sameSecret(presentedSecret, clientSecret);
  return idMatches && secretMatches;
}

function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
