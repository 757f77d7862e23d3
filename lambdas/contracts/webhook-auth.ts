/**
 * How Unico authenticates to the webhook, as one set of settings and one set of rules, shared by
 * every place that takes them: the CDK context (`-c auth=...`), the construct's props and the
 * intake Lambda's environment. Each place names the settings its own way (`oauth2Issuer`,
 * `auth.issuer`, `OAUTH2_ISSUER`) and passes those names in, so a problem always names what the
 * user typed.
 */
import { isHttpUrl, isWholeNumberIn } from './settings.ts';

export const WEBHOOK_AUTH_MODES = ['none', 'basic', 'apikey', 'oauth2'] as const;
export type WebhookAuthMode = (typeof WEBHOOK_AUTH_MODES)[number];

/** RFC 9110 token characters: what a header name may be made of. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Without a header name, Unico puts an API key in the Authorization header, with no scheme. */
export const DEFAULT_API_KEY_HEADER = 'Authorization';

/** List items travel comma-joined in one environment variable: no commas or spaces in them. */
const LIST_ITEM = /^[^,\s]+$/;

/** How long the last keys read keep verifying while the provider's key set cannot be read. */
export const KEYS_MAX_STALE_SECONDS = { min: 10 * 60, max: 7 * 24 * 3600, fallback: 24 * 3600 } as const;

/** The settings of each mode. Secrets are not settings: they live in Secrets Manager. */
export type WebhookAuthSettings =
  | { readonly mode: 'none' }
  | { readonly mode: 'basic' }
  | { readonly mode: 'apikey'; readonly header: string }
  | {
      readonly mode: 'oauth2';
      readonly issuer: string;
      /** Absent: found through the issuer's OpenID discovery document. */
      readonly jwksUri?: string;
      readonly audiences: readonly string[];
      readonly clientIds: readonly string[];
      readonly requiredScopes: readonly string[];
      readonly keysMaxStaleSeconds: number;
    };

export type WebhookAuthField =
  | 'mode'
  | 'header'
  | 'issuer'
  | 'jwksUri'
  | 'audiences'
  | 'clientIds'
  | 'requiredScopes'
  | 'keysMaxStaleSeconds';

/** What each place calls the settings. */
export type WebhookAuthFieldNames = Readonly<Record<WebhookAuthField, string>>;

export interface WebhookAuthProblem {
  readonly field: WebhookAuthField;
  /** Phrased to follow the field's name: `<name>: <message>`. */
  readonly message: string;
}

/**
 * Every problem of a set of auth settings. `development` allows `none` and http URLs (a local or
 * development provider); production deployments get https only.
 */
export function webhookAuthProblems(
  settings: WebhookAuthSettings,
  development: boolean,
  names: WebhookAuthFieldNames,
): WebhookAuthProblem[] {
  const problems: WebhookAuthProblem[] = [];
  const report = (field: WebhookAuthField, message: string) => problems.push({ field, message });
  switch (settings.mode) {
    case 'none':
      if (!development) {
        report('mode', 'none is for development stages only; set development=true or choose basic, apikey or oauth2');
      }
      break;
    case 'basic':
      break;
    case 'apikey':
      if (!HEADER_NAME.test(settings.header)) {
        report('header', "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-), e.g. X-Api-Key");
      }
      break;
    case 'oauth2': {
      const urls: Array<[WebhookAuthField, string | undefined]> = [
        ['issuer', settings.issuer],
        ['jwksUri', settings.jwksUri],
      ];
      for (const [field, url] of urls) {
        if (url === undefined) continue;
        if (!isHttpUrl(url)) report(field, 'must be an https URL');
        else if (url.startsWith('http:') && !development) {
          report(field, 'must use https; http is allowed only when development is true');
        }
      }
      if (settings.audiences.length === 0 && settings.clientIds.length === 0) {
        report('audiences', `oauth2 needs at least one audience (${names.audiences}) or client id (${names.clientIds}) to accept`);
      }
      const lists: Array<[WebhookAuthField, readonly string[]]> = [
        ['audiences', settings.audiences],
        ['clientIds', settings.clientIds],
        ['requiredScopes', settings.requiredScopes],
      ];
      for (const [field, items] of lists) {
        if (items.some((item) => !LIST_ITEM.test(item))) report(field, 'items must be non-empty, without commas or spaces');
      }
      const { min, max } = KEYS_MAX_STALE_SECONDS;
      const stale = settings.keysMaxStaleSeconds;
      if (!isWholeNumberIn(stale, min, max)) {
        report('keysMaxStaleSeconds', `must be from ${min} seconds (10 minutes) to ${max} seconds (7 days)`);
      }
      break;
    }
  }
  return problems;
}

/** Problems as lines, `<name>: <message>`, in the caller's names (the ones given to the rules). */
export function describeProblems(problems: readonly WebhookAuthProblem[], names: WebhookAuthFieldNames): string[] {
  return problems.map((problem) => `${names[problem.field]}: ${problem.message}`);
}

/** The Lambda environment variables that carry the settings: what the CDK writes, what the intake reads. */
export const WEBHOOK_AUTH_ENVIRONMENT = {
  mode: 'WEBHOOK_AUTH_MODE',
  header: 'WEBHOOK_API_KEY_HEADER',
  issuer: 'OAUTH2_ISSUER',
  jwksUri: 'OAUTH2_JWKS_URI',
  audiences: 'OAUTH2_AUDIENCES',
  clientIds: 'OAUTH2_CLIENT_IDS',
  requiredScopes: 'OAUTH2_REQUIRED_SCOPES',
  keysMaxStaleSeconds: 'OAUTH2_KEYS_MAX_STALE_SECONDS',
} as const satisfies WebhookAuthFieldNames;

/** The settings as the Lambda's environment variables. */
export function webhookAuthEnvironment(settings: WebhookAuthSettings): Record<string, string> {
  const names = WEBHOOK_AUTH_ENVIRONMENT;
  switch (settings.mode) {
    case 'none':
    case 'basic':
      return { [names.mode]: settings.mode };
    case 'apikey':
      return { [names.mode]: 'apikey', [names.header]: settings.header };
    case 'oauth2': {
      const list = (field: 'audiences' | 'clientIds' | 'requiredScopes') =>
        settings[field].length > 0 ? { [names[field]]: settings[field].join(',') } : {};
      return {
        [names.mode]: 'oauth2',
        [names.issuer]: settings.issuer,
        ...(settings.jwksUri !== undefined ? { [names.jwksUri]: settings.jwksUri } : {}),
        ...list('audiences'),
        ...list('clientIds'),
        ...list('requiredScopes'),
        [names.keysMaxStaleSeconds]: String(settings.keysMaxStaleSeconds),
      };
    }
  }
}
