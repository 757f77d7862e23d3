/**
 * Unico's notation for webhook authentication, as typed into its webhook form and as accepted by
 * the local stack's `WEBHOOK_AUTH`:
 *
 *   none | basic:USER:PASS | apikey:HEADER:VALUE | apikey:VALUE | oauth2
 *
 * One implementation serves both sides: the receiver (what to accept) and the simulator (what to
 * send), so the two can never disagree on how a spec is read.
 */
import { DEFAULT_API_KEY_HEADER, HEADER_NAME } from './webhook-auth.ts';

export type AuthSpec =
  | { readonly mode: 'none' }
  | { readonly mode: 'basic'; readonly username: string; readonly password: string }
  | { readonly mode: 'apikey'; readonly header: string; readonly value: string }
  | { readonly mode: 'oauth2' };

export class InvalidAuthSpecError extends Error {
  override readonly name = 'InvalidAuthSpecError';
}


/**
 * Reads a spec. Throws InvalidAuthSpecError with a message that names the problem but never
 * repeats the secret part of the spec.
 */
export function parseAuthSpec(text: string): AuthSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const mode = (colon === -1 ? trimmed : trimmed.slice(0, colon)).toLowerCase();
  const rest = colon === -1 ? undefined : trimmed.slice(colon + 1);

  switch (mode) {
    case 'none':
    case 'oauth2':
      if (rest !== undefined) {
        throw new InvalidAuthSpecError(`auth mode "${mode}" takes no arguments`);
      }
      return { mode };
    case 'basic':
      return parseBasic(rest);
    case 'apikey':
      return parseApiKey(rest);
    default:
      throw new InvalidAuthSpecError(
        'auth must be one of none, basic:USER:PASS, apikey:HEADER:VALUE, apikey:VALUE, oauth2',
      );
  }
}

function parseBasic(rest: string | undefined): AuthSpec {
  // The user name ends at the first colon (RFC 7617 forbids colons in it); the password may hold any.
  const colon = rest?.indexOf(':') ?? -1;
  if (rest === undefined || colon <= 0 || colon === rest.length - 1) {
    throw new InvalidAuthSpecError('basic auth needs basic:USER:PASS with a non-empty user and password');
  }
  return { mode: 'basic', username: rest.slice(0, colon), password: rest.slice(colon + 1) };
}

function parseApiKey(rest: string | undefined): AuthSpec {
  if (rest === undefined || rest.length === 0) {
    throw new InvalidAuthSpecError('apikey auth needs apikey:HEADER:VALUE or apikey:VALUE');
  }
  // Unico splits on the FIRST colon: "Authorization:Bearer abc" is header Authorization, value
  // "Bearer abc". Without a colon the whole text is the Authorization header's value.
  const colon = rest.indexOf(':');
  if (colon === -1) {
    return { mode: 'apikey', header: DEFAULT_API_KEY_HEADER, value: rest };
  }
  const header = rest.slice(0, colon);
  const value = rest.slice(colon + 1);
  if (!HEADER_NAME.test(header)) {
    throw new InvalidAuthSpecError('apikey header name may hold only letters, digits and !#$%&\'*+.^_`|~-');
  }
  if (value.length === 0) {
    throw new InvalidAuthSpecError('apikey value must not be empty');
  }
  return { mode: 'apikey', header, value };
}

/** The spec in Unico's notation again (what to enter in Unico's form for basic and apikey). */
export function formatAuthSpec(spec: AuthSpec): string {
  switch (spec.mode) {
    case 'none':
    case 'oauth2':
      return spec.mode;
    case 'basic':
      return `basic:${spec.username}:${spec.password}`;
    case 'apikey':
      // The short form only when it reads back the same: a value with a colon would be split.
      return spec.header === DEFAULT_API_KEY_HEADER && !spec.value.includes(':')
        ? `apikey:${spec.value}`
        : `apikey:${spec.header}:${spec.value}`;
  }
}

/**
 * The headers Unico sends for a static credential. OAuth2 is not static (a token is fetched
 * first) and `none` sends nothing, so both give no headers here.
 */
export function credentialHeaders(spec: AuthSpec): Record<string, string> {
  switch (spec.mode) {
    case 'basic':
      return { Authorization: basicAuthorization(spec.username, spec.password) };
    case 'apikey':
      return { [spec.header]: spec.value };
    case 'none':
    case 'oauth2':
      return {};
  }
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
