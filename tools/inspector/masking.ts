/**
 * What the inspector never shows as it is: credentials in request headers (always masked: the
 * page is for looking at traffic, not for copying secrets out of it) and the personal data in a
 * process's outcome (masked until the person at the page asks to reveal it).
 */
import type { AuthSpec } from '../../lambdas/contracts/auth-notation.ts';

export const MASK = '••••••';

/** Header names that carry a credential whatever the auth mode. */
const CREDENTIAL_HEADER = /authorization|api[-_]?key|token|secret|password|cookie/i;
/** An Authorization scheme worth keeping in view: it tells which mode the sender used. */
const SCHEME = /^(basic|bearer|digest)\s+/i;

/** The header that carries the credential in `auth`, lower case; undefined for none. */
export function credentialHeaderName(auth: AuthSpec): string | undefined {
  if (auth.mode === 'none') return undefined;
  return auth.mode === 'apikey' ? auth.header.toLowerCase() : 'authorization';
}

/** The headers with every credential value replaced by the mask (an Authorization scheme kept). */
export function maskHeaders(headers: Readonly<Record<string, string>>, auth: AuthSpec): Record<string, string> {
  const configured = credentialHeaderName(auth);
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === configured || CREDENTIAL_HEADER.test(lower)) {
      const scheme = SCHEME.exec(value)?.[1];
      masked[name] = scheme === undefined ? MASK : `${scheme} ${MASK}`;
    } else {
      masked[name] = value;
    }
  }
  return masked;
}

/**
 * Keys whose values say what happened to a process, not who the person is: they stay readable
 * in a masked outcome, at any depth (`unicoId.result`, say).
 */
const NON_PERSONAL_KEYS = new Set(['id', 'flow', 'state', 'result', 'status', 'createdAt', 'finishedAt', 'expiresAt', 'contract', 'fetchedAt']);

/** The value with the same shape, every leaf replaced by the mask except the non-personal keys'. */
export function maskPersonalData(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, maskPersonalData(inner, name)]));
  }
  if (value === null || value === undefined) return value;
  return key !== undefined && NON_PERSONAL_KEYS.has(key) ? value : MASK;
}
