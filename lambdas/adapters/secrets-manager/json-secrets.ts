import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock } from '../../core/deadline.ts';

/** JSON secrets, each read at most once per container and max age (the caller names the age). */
export interface JsonSecrets {
  get(secretId: string, options: { readonly maxAgeSeconds: number }): Promise<unknown>;
}

/** A secret whose string is not JSON. The message never quotes the string: it is a credential. */
export class SecretNotJsonError extends Error {
  override readonly name = 'SecretNotJsonError';
}

/**
 * GetSecretValue, parsed as JSON and kept for the max age: the same object is handed back until
 * it is read again, and callers arriving while a read runs share it. A failed read keeps nothing,
 * so the next call reads again (the callers decide how long to leave Secrets Manager alone).
 */
export class SecretsManagerJsonSecrets implements JsonSecrets {
  readonly #client: SecretsManagerClient;
  readonly #clock: Clock;
  readonly #cached = new Map<string, { readonly value: unknown; readonly readAt: number }>();
  readonly #reading = new Map<string, Promise<unknown>>();

  constructor(client: SecretsManagerClient, clock: Clock = systemClock) {
    this.#client = client;
    this.#clock = clock;
  }

  get(secretId: string, options: { readonly maxAgeSeconds: number }): Promise<unknown> {
    const cached = this.#cached.get(secretId);
    if (cached !== undefined && this.#clock() - cached.readAt < options.maxAgeSeconds * 1000) return Promise.resolve(cached.value);
    const running = this.#reading.get(secretId);
    if (running !== undefined) return running;
    const reading = this.#read(secretId).finally(() => this.#reading.delete(secretId));
    this.#reading.set(secretId, reading);
    return reading;
  }

  async #read(secretId: string): Promise<unknown> {
    const { SecretString: text } = await this.#client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (text === undefined) throw new SecretNotJsonError(`secret ${secretId} holds no string (a binary secret?)`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new SecretNotJsonError(`secret ${secretId} is not JSON`);
    }
    this.#cached.set(secretId, { value, readAt: this.#clock() });
    return value;
  }
}
