/**
 * The deployment's configuration, read from CDK context (`cdk.json` "context" or `-c key=value`)
 * and validated once, before any construct is built. Every bad value is reported at the same time,
 * one line per problem, naming the context key and what it accepts.
 */
import { z } from 'zod';
import { DEFAULT_API_KEY_HEADER } from '../lambdas/contracts/auth-notation.ts';

export type AuthContextMode = 'none' | 'basic' | 'apikey' | 'oauth2';

export type StackAuthConfig =
  | { readonly mode: 'none' }
  | { readonly mode: 'basic' }
  | { readonly mode: 'apikey'; readonly header: string }
  | {
      readonly mode: 'oauth2';
      readonly issuer: string;
      readonly audiences: readonly string[];
      readonly clientIds: readonly string[];
      readonly scopes: readonly string[];
      readonly jwksUri?: string;
      /** How long keys from the last good read of the key set keep verifying while the provider fails. */
      readonly keysMaxStaleHours: number;
    };

export interface StackConfig {
  /** Names the deployment: the stack is `UnicoWebhook-<stage>`. */
  readonly stage: string;
  /** A development stage: allows `auth: none` and http OAuth2 URLs; stateful resources are destroyed with the stack. */
  readonly development: boolean;
  readonly auth: StackAuthConfig;
  /** The timeout set in Unico's webhook form, in seconds. */
  readonly responseDeadlineSeconds: number;
  /** How long a claim (the idempotency record) is kept, in days. */
  readonly claimRetentionDays: number;
}

/** Thrown by `loadStackConfig`; `problems` holds one line per bad context value. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `Invalid CDK context (set in cdk.json "context" or with -c key=value):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

/** The context keys this app reads; any other context (feature flags, ...) is left to the CDK. */
export const CONTEXT_KEYS = [
  'stage',
  'development',
  'auth',
  'apiKeyHeader',
  'oauth2Issuer',
  'oauth2Audiences',
  'oauth2ClientIds',
  'oauth2Scopes',
  'oauth2JwksUri',
  'oauth2KeysMaxStaleHours',
  'responseDeadlineSeconds',
  'claimRetentionDays',
] as const;

type ContextKey = (typeof CONTEXT_KEYS)[number];

/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A list item is joined with commas into a Lambda environment variable: no commas or spaces in it. */
const LIST_ITEM = /^[^,\s]+$/;

const integerText = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;

const integerIn = (min: number, max: number) => z.preprocess(integerText, z.number().int().min(min).max(max));

const booleanLike = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((text) => text === 'true'),
]);

const listLike = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0)
      : value,
  z.array(z.string().trim().regex(LIST_ITEM)),
);

const urlText = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
});

/** Per key: the schema of one value, its default, and what it accepts (the error message). */
const KEYS = {
  stage: {
    schema: z.string().regex(/^[a-z0-9-]{1,20}$/),
    fallback: 'prod',
    allowed: '1 to 20 characters from a-z, 0-9 and "-"',
  },
  development: {
    schema: booleanLike,
    fallback: false,
    allowed: 'true or false',
  },
  auth: {
    schema: z.enum(['none', 'basic', 'apikey', 'oauth2']),
    fallback: 'basic',
    allowed: 'one of none, basic, apikey, oauth2',
  },
  apiKeyHeader: {
    schema: z.string().regex(HEADER_NAME),
    fallback: undefined,
    allowed: "an HTTP header name (letters, digits and !#$%&'*+.^_`|~-), e.g. X-Api-Key",
  },
  oauth2Issuer: {
    schema: urlText,
    fallback: undefined,
    allowed: 'the https URL of the OAuth2 provider that issues the tokens Unico sends',
  },
  oauth2Audiences: {
    schema: listLike,
    fallback: [],
    allowed: 'a comma-separated string or an array of audiences, without spaces',
  },
  oauth2ClientIds: {
    schema: listLike,
    fallback: [],
    allowed: 'a comma-separated string or an array of client ids, without spaces',
  },
  oauth2Scopes: {
    schema: listLike,
    fallback: [],
    allowed: 'a comma-separated string or an array of scopes, without spaces',
  },
  oauth2JwksUri: {
    schema: urlText,
    fallback: undefined,
    allowed: 'the https URL of the provider JWKS (default: the jwks_uri of <issuer>/.well-known/openid-configuration)',
  },
  oauth2KeysMaxStaleHours: {
    schema: integerIn(1, 168),
    fallback: 24,
    allowed: 'an integer from 1 to 168 (hours the last keys read keep verifying while the provider fails)',
  },
  responseDeadlineSeconds: {
    schema: integerIn(1, 30),
    fallback: 5,
    allowed: "an integer from 1 to 30 (the timeout set in Unico's webhook form, in seconds)",
  },
  claimRetentionDays: {
    schema: integerIn(1, 3650),
    fallback: 90,
    allowed: 'an integer from 1 to 3650 (days a claim is kept)',
  },
} as const satisfies Record<ContextKey, { schema: z.ZodType; fallback: unknown; allowed: string }>;

type Parsed = { -readonly [K in ContextKey]: z.output<(typeof KEYS)[K]['schema']> | undefined };

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** Reads this app's keys from a construct's context (`app.node.getAllContext()` works too). */
export function readContext(node: { tryGetContext(key: string): unknown }): Record<string, unknown> {
  return Object.fromEntries(CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)]));
}

/**
 * Validates the context and returns the typed configuration. Throws a `StackConfigError` listing
 * every problem. Unknown keys are ignored (the context also holds the CDK's feature flags).
 */
export function loadStackConfig(context: Record<string, unknown>): StackConfig {
  const problems: string[] = [];
  const parsed = {} as Parsed;
  const given = (key: ContextKey): boolean => context[key] !== undefined && context[key] !== null;

  for (const key of CONTEXT_KEYS) {
    const spec = KEYS[key];
    if (!given(key)) {
      (parsed as Record<ContextKey, unknown>)[key] = spec.fallback;
      continue;
    }
    const result = spec.schema.safeParse(context[key]);
    if (result.success) {
      (parsed as Record<ContextKey, unknown>)[key] = result.data;
    } else {
      problems.push(`${key}: must be ${spec.allowed} (got ${show(context[key])})`);
    }
  }

  const failed = (key: ContextKey): boolean => given(key) && parsed[key] === undefined;
  // Rules across keys; a key whose value is already reported as malformed is not reported again.
  const report = (key: ContextKey, problem: string): void => {
    if (!failed(key)) problems.push(`${key}: ${problem}`);
  };
  const development = parsed.development ?? false;
  const auth = parsed.auth;

  if (auth === 'none' && !failed('development') && !development) {
    report('auth', 'auth none is for development stages only; set development=true or choose basic, apikey or oauth2');
  }
  if (auth !== undefined && auth !== 'apikey' && given('apiKeyHeader')) {
    report('apiKeyHeader', `applies only when auth is apikey (auth is ${auth}); remove it`);
  }
  const oauth2Keys = [
    'oauth2Issuer',
    'oauth2Audiences',
    'oauth2ClientIds',
    'oauth2Scopes',
    'oauth2JwksUri',
    'oauth2KeysMaxStaleHours',
  ] as const;
  if (auth !== undefined && auth !== 'oauth2') {
    for (const key of oauth2Keys.filter(given)) {
      report(key, `applies only when auth is oauth2 (auth is ${auth}); remove it`);
    }
  }
  if (auth === 'oauth2') {
    if (!given('oauth2Issuer')) {
      report('oauth2Issuer', `required when auth is oauth2; must be ${KEYS.oauth2Issuer.allowed}`);
    }
    if (!failed('oauth2Audiences') && !failed('oauth2ClientIds')
      && (parsed.oauth2Audiences ?? []).length === 0 && (parsed.oauth2ClientIds ?? []).length === 0) {
      report('oauth2Audiences', 'oauth2 needs at least one audience (oauth2Audiences) or client id (oauth2ClientIds) to accept');
    }
    for (const key of ['oauth2Issuer', 'oauth2JwksUri'] as const) {
      const url = parsed[key];
      if (url !== undefined && url.startsWith('http:') && !development) {
        report(key, `must use https; http is allowed only when development=true (got ${show(url)})`);
      }
    }
  }

  if (problems.length > 0) throw new StackConfigError(problems);

  const base = {
    stage: parsed.stage ?? KEYS.stage.fallback,
    development,
    responseDeadlineSeconds: parsed.responseDeadlineSeconds ?? KEYS.responseDeadlineSeconds.fallback,
    claimRetentionDays: parsed.claimRetentionDays ?? KEYS.claimRetentionDays.fallback,
  };
  switch (auth ?? KEYS.auth.fallback) {
    case 'none':
      return { ...base, auth: { mode: 'none' } };
    case 'basic':
      return { ...base, auth: { mode: 'basic' } };
    case 'apikey':
      return { ...base, auth: { mode: 'apikey', header: parsed.apiKeyHeader ?? DEFAULT_API_KEY_HEADER } };
    case 'oauth2': {
      const issuer = parsed.oauth2Issuer;
      if (issuer === undefined) throw new StackConfigError(['oauth2Issuer: required when auth is oauth2']);
      return {
        ...base,
        auth: {
          mode: 'oauth2',
          issuer,
          audiences: parsed.oauth2Audiences ?? [],
          clientIds: parsed.oauth2ClientIds ?? [],
          scopes: parsed.oauth2Scopes ?? [],
          ...(parsed.oauth2JwksUri !== undefined ? { jwksUri: parsed.oauth2JwksUri } : {}),
          keysMaxStaleHours: parsed.oauth2KeysMaxStaleHours ?? KEYS.oauth2KeysMaxStaleHours.fallback,
        },
      };
    }
  }
}
