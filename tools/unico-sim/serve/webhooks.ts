/**
 * Sending a process's webhook to the receiver the way Unico does, with unico-sim's own sender:
 * the receiver's auth in Unico's notation (OAuth2 included), a timeout per attempt, retries with
 * exponential back-off on anything but a 2xx, and a limit on deliveries in flight.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AuthSpec } from '../../../lambdas/contracts/auth-notation.ts';
import { createCredentials, type Credentials, type OAuth2ClientConfig } from '../credentials.ts';
import { createHttpSender, monotonicClock, type HttpSender } from '../http-sender.ts';
import type { UnicoNotification } from '../notifications.ts';
import { deliverWithRetry, type DeliveryResult, type RetryPolicy, type Sleep } from '../retry.ts';
import { Semaphore } from '../semaphore.ts';

export interface WebhookReceiver {
  readonly url: string;
  readonly auth: AuthSpec;
  /** With `auth` oauth2: the receiver's provider and client. */
  readonly oauth2?: OAuth2ClientConfig;
}

export const DEFAULT_WEBHOOK_POLICY: RetryPolicy = {
  maxAttempts: 5,
  intervalMs: 1_000,
  maxIntervalMs: 60_000,
  jitter: false,
  timeoutMs: 5_000,
};
export const DEFAULT_WEBHOOK_CONCURRENCY = 50;

/**
 * Which webhooks of `finish` to drop: exactly `ratio` of them, spread evenly (the n-th is dropped
 * when floor(n × ratio) grows), so a run of 100 with 0.3 drops 30, every time.
 */
export class DropPlan {
  readonly #ratio: number;
  #seen = 0;

  constructor(ratio: number) {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError('the drop ratio must be from 0 to 1');
    this.#ratio = ratio;
  }

  next(): boolean {
    this.#seen += 1;
    const before = Math.floor((this.#seen - 1) * this.#ratio + 1e-9);
    const after = Math.floor(this.#seen * this.#ratio + 1e-9);
    return after > before;
  }
}

export interface WebhookSenderDeps {
  readonly send?: HttpSender;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

export class WebhookSender {
  readonly #receiver: WebhookReceiver;
  readonly #policy: RetryPolicy;
  readonly #credentials: Credentials;
  readonly #send: HttpSender;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #slots: Semaphore;
  readonly #inFlight = new Set<Promise<DeliveryResult>>();
  readonly #stopping = new AbortController();
  #stopped = false;

  constructor(receiver: WebhookReceiver, policy: RetryPolicy, concurrency: number, deps: WebhookSenderDeps = {}) {
    this.#receiver = receiver;
    this.#policy = policy;
    const send = deps.send ?? createHttpSender(monotonicClock);
    // Once stopped, nothing more goes out and waits end at once, so stop() does not hang on retries.
    this.#send = async (request) =>
      this.#stopped ? { kind: 'network_error', reason: 'simulator stopped', latencyMs: 0 } : send(request);
    const stopping = this.#stopping.signal;
    const sleep = deps.sleep ?? ((ms: number) => delay(ms, undefined, { signal: stopping }).catch(() => undefined));
    this.#sleep = async (ms) => (this.#stopped ? undefined : sleep(ms));
    this.#random = deps.random ?? Math.random;
    this.#credentials = createCredentials(receiver.auth, receiver.oauth2, this.#send, monotonicClock);
    this.#slots = new Semaphore(concurrency);
  }

  get url(): string {
    return this.#receiver.url;
  }

  /** Starts delivering; the promise ends when the delivery is over (2xx, or attempts used up). */
  deliver(notification: UnicoNotification): Promise<DeliveryResult> {
    const delivery = deliverWithRetry(this.#receiver.url, JSON.stringify(notification), this.#policy, {
      send: this.#send,
      credentials: this.#credentials,
      sleep: this.#sleep,
      random: this.#random,
      slots: this.#slots,
    });
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery)).catch(() => undefined);
    return delivery;
  }

  /** Ends the deliveries in flight without sending more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    await Promise.allSettled([...this.#inFlight]);
  }
}
