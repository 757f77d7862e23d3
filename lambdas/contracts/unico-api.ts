import * as v from 'valibot';
import { httpUrlSetting, integerSetting, requiredSetting } from './settings.ts';

/**
 * How the receiver reaches Unico's API (GetProcess), as the CDK deploys it and the processor
 * reads it. URLs differ between Unico's pages and environments, so all are settings, with the
 * production values as defaults.
 */
/** Unico's two GetProcess contracts: Web & SDK (`/client/v1/process/{id}`) and API (`/processes/v1/{id}`). */
export const UNICO_CONTRACTS = ['web-sdk', 'api'] as const;
export type UnicoContractName = (typeof UNICO_CONTRACTS)[number];

export const UNICO_API_DEFAULTS = {
  contract: 'web-sdk',
  /** GetProcess's base URL per contract (sandboxes: api.idcloud.uat.unico.app, api.id.uat.unico.app). */
  apiBaseUrl: { 'web-sdk': 'https://api.idcloud.unico.app', api: 'https://api.id.unico.app' },
  /** The identity service: the token assertion's audience (sandbox: https://identityhomolog.acesso.io). */
  identityUrl: 'https://identity.acesso.io',
  /** Half of Unico's default 10 requests per second per tenant: room for the tenant's own calls. */
  maxRequestsPerSecond: 5,
} as const;

/** The secret's JSON: the service account's private key (PEM) and, for the API contract, the API key. */
export interface UnicoCredentialsSecret {
  readonly privateKey: string;
  readonly apiKey?: string;
}

export interface UnicoApiSettings {
  readonly contract: UnicoContractName;
  readonly apiBaseUrl: string;
  readonly identityUrl: string;
  /** The service account, the token assertion's `iss`: `<name>@<tenant>.iam.acesso.io`. */
  readonly serviceAccount: string;
  readonly maxRequestsPerSecond: number;
}

/** The processor's environment variables for the settings (plus UNICO_SECRET_ARN, wiring). */
export function unicoApiEnvironment(settings: UnicoApiSettings): Record<string, string> {
  return {
    UNICO_CONTRACT: settings.contract,
    UNICO_API_BASE_URL: settings.apiBaseUrl,
    UNICO_IDENTITY_URL: settings.identityUrl,
    UNICO_SERVICE_ACCOUNT: settings.serviceAccount,
    UNICO_MAX_RPS: String(settings.maxRequestsPerSecond),
  };
}

/**
 * The environment variables of every function that calls GetProcess (the processor and the
 * fallback), read the same way by both. Calls are on when a service account is set.
 */
export const UNICO_API_SETTINGS = {
  UNICO_SERVICE_ACCOUNT: v.optional(requiredSetting),
  UNICO_SECRET_ARN: v.optional(requiredSetting),
  UNICO_CONTRACT: v.optional(v.picklist(UNICO_CONTRACTS, `must be one of ${UNICO_CONTRACTS.join(', ')}`), UNICO_API_DEFAULTS.contract),
  UNICO_API_BASE_URL: v.optional(httpUrlSetting(UNICO_API_DEFAULTS.apiBaseUrl['web-sdk'])),
  UNICO_IDENTITY_URL: v.optional(httpUrlSetting(UNICO_API_DEFAULTS.identityUrl), UNICO_API_DEFAULTS.identityUrl),
  UNICO_MAX_RPS: v.optional(integerSetting(1, 1000), UNICO_API_DEFAULTS.maxRequestsPerSecond),
} as const;

export type UnicoApiSettingValues = { -readonly [K in keyof typeof UNICO_API_SETTINGS]: v.InferOutput<(typeof UNICO_API_SETTINGS)[K]> };

/** The rule across the settings: the private key lives in the secret, so an account needs it. */
export function unicoApiSettingProblems(values: Partial<UnicoApiSettingValues>): string[] {
  return values.UNICO_SERVICE_ACCOUNT !== undefined && values.UNICO_SECRET_ARN === undefined
    ? ['UNICO_SECRET_ARN: required with UNICO_SERVICE_ACCOUNT (the private key lives in that secret)']
    : [];
}

/** The settings read back; undefined when no service account is set (no calls to Unico). */
export function unicoApiSettingsOf(values: UnicoApiSettingValues): (UnicoApiSettings & { readonly secretArn: string }) | undefined {
  if (values.UNICO_SERVICE_ACCOUNT === undefined) return undefined;
  return {
    contract: values.UNICO_CONTRACT,
    apiBaseUrl: values.UNICO_API_BASE_URL ?? UNICO_API_DEFAULTS.apiBaseUrl[values.UNICO_CONTRACT],
    identityUrl: values.UNICO_IDENTITY_URL,
    serviceAccount: values.UNICO_SERVICE_ACCOUNT,
    maxRequestsPerSecond: values.UNICO_MAX_RPS,
    secretArn: values.UNICO_SECRET_ARN ?? '',
  };
}
