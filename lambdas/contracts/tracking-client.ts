/**
 * A small typed client of the tracking routes (contract 3), for the integrator's backend: start
 * tracking a process when its journey begins, say when the person reached the end of it, read
 * its status. In AWS the routes are IAM-authorised: requests are signed with SigV4 for
 * `execute-api`; in the local stack they are open on loopback and sent unsigned.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials, as the SDK's providers give them. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;
import type {
  JourneyFinishedAnswer,
  TrackAnswer,
  TrackingErrorBody,
  TrackingStatusView,
} from './tracking-api.ts';

export interface TrackingClientSigning {
  /** The API's region, e.g. `us-east-1`. */
  readonly region: string;
  /**
   * Whose IAM identity signs. @default the AWS SDK's default chain
   * (`@aws-sdk/credential-provider-node`: environment, SSO, profile, ECS/EC2 role), when installed.
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export interface TrackingClientOptions {
  /** The tracking URL: `<api url>/processes` (the endpoints file's `trackingUrl` locally, the stack's output in AWS). */
  readonly url: string;
  /** Sign requests with SigV4 (AWS). Absent: unsigned (the local stack). */
  readonly signing?: TrackingClientSigning;
  /** Gives up on a request after this long. @default 10000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** The signing time. @default () => new Date() */
  readonly clock?: () => Date;
}

export interface TrackOptions {
  /** When tracking stops without a result: Unico's `expiresAt` if known. @default the deployment's default expiry */
  readonly expiresAt?: string | Date;
  /** An id of yours (1 to 128 of A-Z a-z 0-9 _ . : / -); never personal data. */
  readonly clientReference?: string;
}

/** The routes answered with an error: `status` and `error` say which (`invalid_payload` lists `issues`). */
export class TrackingApiError extends Error {
  override readonly name = 'TrackingApiError';
  readonly status: number;
  readonly error: string;
  readonly issues: TrackingErrorBody['issues'];
  constructor(status: number, body: Partial<TrackingErrorBody> | undefined) {
    const error = body?.error ?? 'unexpected_answer';
    super(`tracking API answered ${status} ${error}`);
    this.status = status;
    this.error = error;
    this.issues = body?.issues;
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class TrackingClient {
  readonly #url: URL;
  readonly #signer: SignatureV4 | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #clock: () => Date;

  constructor(options: TrackingClientOptions) {
    this.#url = new URL(options.url.replace(/\/+$/, ''));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? (() => new Date());
    this.#signer =
      options.signing === undefined
        ? undefined
        : new SignatureV4({
            service: 'execute-api',
            region: options.signing.region,
            credentials: options.signing.credentials ?? defaultCredentials(),
            sha256: Sha256,
          });
  }

  /** Starts tracking; `created` is false when the process was tracked already (the options then change nothing). */
  async track(processId: string, options: TrackOptions = {}): Promise<TrackAnswer & { readonly created: boolean }> {
    const body: Record<string, string> = {};
    if (options.expiresAt !== undefined) body.expiresAt = typeof options.expiresAt === 'string' ? options.expiresAt : options.expiresAt.toISOString();
    if (options.clientReference !== undefined) body.clientReference = options.clientReference;
    const { status, json } = await this.#send('PUT', processPath(processId), JSON.stringify(body));
    if (status !== 201 && status !== 200) throw new TrackingApiError(status, json as Partial<TrackingErrorBody>);
    return { ...(json as TrackAnswer), created: status === 201 };
  }

  /** The person reached the end of the journey: the process is checked soon unless its webhook comes. */
  async journeyFinished(processId: string): Promise<JourneyFinishedAnswer> {
    const { status, json } = await this.#send('POST', `${processPath(processId)}/journey-finished`);
    if (status !== 202) throw new TrackingApiError(status, json as Partial<TrackingErrorBody>);
    return json as JourneyFinishedAnswer;
  }

  /** The process's tracking status, or undefined when it was never tracked. */
  async status(processId: string): Promise<TrackingStatusView | undefined> {
    const { status, json } = await this.#send('GET', processPath(processId));
    if (status === 404 && (json as Partial<TrackingErrorBody> | undefined)?.error === 'not_found') return undefined;
    if (status !== 200) throw new TrackingApiError(status, json as Partial<TrackingErrorBody>);
    return json as TrackingStatusView;
  }

  async #send(method: 'PUT' | 'POST' | 'GET', subPath: string, body?: string): Promise<{ status: number; json: unknown }> {
    const url = new URL(`${this.#url.pathname}${subPath}`, this.#url);
    const headers: Record<string, string> = { host: url.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signedHeaders = this.#signer === undefined ? headers : await this.#sign(method, url, headers, body);
    // fetch sets Host itself, to the same value that was signed.
    const { host: _setByFetch, ...sent } = signedHeaders;
    const response = await this.#fetch(url, {
      method,
      headers: sent,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  }

  async #sign(method: string, url: URL, headers: Record<string, string>, body: string | undefined): Promise<Record<string, string>> {
    const signer = this.#signer as SignatureV4;
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port === '' ? {} : { port: Number(url.port) }),
        path: url.pathname,
        query: {},
        headers,
        ...(body === undefined ? {} : { body }),
      },
      { signingDate: this.#clock() },
    );
    return signed.headers;
  }
}

/** The path of one process; the id is checked by the API (a UUID), here only kept in its segment. */
function processPath(processId: string): string {
  return `/${encodeURIComponent(processId)}`;
}

/** The SDK's default chain, loaded on first use so that a caller passing its own never needs it. */
function defaultCredentials(): AwsCredentialIdentityProvider {
  let provider: Promise<AwsCredentialIdentityProvider> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-provider-node').then(
      (module) => module.defaultProvider(),
      () => {
        throw new Error('no credentials: pass signing.credentials, or install @aws-sdk/credential-provider-node for the default chain');
      },
    );
    return (await provider)();
  };
}
