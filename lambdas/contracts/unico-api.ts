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
