import { beforeEach, describe, expect, jest, test } from '@jest/globals';
import { NotificationAcceptor, type AcceptanceRequest } from '../../../../lambdas/shared/acceptance/accept-notification.ts';
import type {
  Claim,
  ClaimAttempt,
  ClaimRequest,
  ClaimStore,
  IntakeMessage,
  IntakeQueue,
} from '../../../../lambdas/shared/acceptance/ports.ts';
import { Deadline } from '../../../../lambdas/shared/deadline.ts';
import { DependencyUnavailableError } from '../../../../lambdas/shared/errors.ts';
import type { Notification } from '../../../../lambdas/shared/notification.ts';

const NOW = 1_750_000_000_000;
const clock = () => NOW;

/** An in-memory claim store that records what it was asked and can be told to fail. */
class FakeClaimStore implements ClaimStore {
  readonly items = new Map<string, Claim>();
  readonly calls: string[] = [];
  readonly released: Array<Pick<Claim, 'processId' | 'state' | 'leaseUntil'>> = [];
  readonly tookOver: Array<{ claim: Claim; leaseUntil: number }> = [];
  claimRequests: ClaimRequest[] = [];
  takeOverLost = false;
  releaseFailure: Error | undefined;

  async claim(request: ClaimRequest): Promise<ClaimAttempt> {
    this.calls.push('claim');
    this.claimRequests.push(request);
    const key = `${request.notification.processId}:${request.notification.state}`;
    const existing = this.items.get(key);
    if (existing) return { outcome: 'exists', existing };
    this.items.set(key, {
      processId: request.notification.processId,
      state: request.notification.state,
      status: 'claimed',
      leaseUntil: request.leaseUntil,
    });
    return { outcome: 'claimed' };
  }

  async takeOver(claim: Claim, leaseUntil: number): Promise<boolean> {
    this.calls.push('takeOver');
    this.tookOver.push({ claim, leaseUntil });
    if (this.takeOverLost) return false;
    this.items.set(`${claim.processId}:${claim.state}`, { ...claim, leaseUntil });
    return true;
  }

  async release(claim: Pick<Claim, 'processId' | 'state' | 'leaseUntil'>): Promise<void> {
    this.calls.push('release');
    this.released.push(claim);
    if (this.releaseFailure) throw this.releaseFailure;
    this.items.delete(`${claim.processId}:${claim.state}`);
  }

  seed(claim: Claim): void {
    this.items.set(`${claim.processId}:${claim.state}`, claim);
  }
}

class FakeIntakeQueue implements IntakeQueue {
  readonly messages: IntakeMessage[] = [];
  failure: Error | undefined;
  hang = false;

  readonly #log: string[];

  constructor(log: string[]) {
    this.#log = log;
  }

  async enqueue(message: IntakeMessage): Promise<void> {
    this.#log.push('enqueue');
    if (this.hang) return new Promise<void>(() => undefined);
    if (this.failure) throw this.failure;
    this.messages.push(message);
  }
}

const notification: Notification = {
  processId: '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idlive',
  lastEvent: 'EVENT_TYPE_FINISHED',
};

function request(overrides: Partial<AcceptanceRequest> = {}): AcceptanceRequest {
  return {
    notification,
    detectedBy: 'webhook',
    receivedAt: '2025-06-15T12:00:00.000Z',
    leaseUntil: NOW + 5000,
    deadline: Deadline.after(4000),
    ...overrides,
  };
}

let claims: FakeClaimStore;
let queue: FakeIntakeQueue;
type Warn = (message: string, attributes: { [key: string]: unknown }) => void;
let warn: ReturnType<typeof jest.fn<Warn>>;
let acceptor: NotificationAcceptor;

beforeEach(() => {
  claims = new FakeClaimStore();
  queue = new FakeIntakeQueue(claims.calls);
  warn = jest.fn<Warn>();
  acceptor = new NotificationAcceptor({ claims, queue, logger: { warn }, clock });
});

describe('NotificationAcceptor', () => {
  test('a new notification is claimed, then enqueued with how and when it was detected', async () => {
    // Act
    const outcome = await acceptor.accept(request({ detectedBy: 'fallback' }));

    // Assess
    expect(outcome).toBe('accepted');
    expect(claims.calls).toEqual(['claim', 'enqueue']);
    expect(claims.claimRequests).toEqual([
      { notification, detectedBy: 'fallback', receivedAt: '2025-06-15T12:00:00.000Z', leaseUntil: NOW + 5000 },
    ]);
    expect(queue.messages).toEqual([
      { ...notification, detectedBy: 'fallback', receivedAt: '2025-06-15T12:00:00.000Z' },
    ]);
  });

  test('a confirmed claim is a duplicate and nothing is enqueued', async () => {
    // Prepare
    claims.seed({ processId: notification.processId, state: notification.state, status: 'confirmed', leaseUntil: NOW - 60_000 });

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('duplicate');
    expect(claims.calls).toEqual(['claim']);
  });

  test('an unconfirmed claim whose lease is still live is a duplicate: its holder is handing it over', async () => {
    // Prepare
    claims.seed({ processId: notification.processId, state: notification.state, status: 'claimed', leaseUntil: NOW + 1 });

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('duplicate');
    expect(claims.calls).toEqual(['claim']);
  });

  test('an unconfirmed claim whose lease is over is taken over and enqueued again', async () => {
    // Prepare
    const stale: Claim = { processId: notification.processId, state: notification.state, status: 'claimed', leaseUntil: NOW };
    claims.seed(stale);

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('recovered');
    expect(claims.calls).toEqual(['claim', 'takeOver', 'enqueue']);
    expect(claims.tookOver).toEqual([{ claim: stale, leaseUntil: NOW + 5000 }]);
    expect(queue.messages).toHaveLength(1);
  });

  test('a take-over lost to a concurrent copy is a duplicate and enqueues nothing', async () => {
    // Prepare
    claims.seed({ processId: notification.processId, state: notification.state, status: 'claimed', leaseUntil: NOW - 1 });
    claims.takeOverLost = true;

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('duplicate');
    expect(claims.calls).toEqual(['claim', 'takeOver']);
    expect(queue.messages).toEqual([]);
  });

  test('an enqueue failure releases this request\'s claim and reports the queue unavailable', async () => {
    // Prepare
    queue.failure = new Error('SQS 500');

    // Act
    const error = await acceptor.accept(request()).catch((reason: unknown) => reason);

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('intake queue');
    expect(claims.calls).toEqual(['claim', 'enqueue', 'release']);
    expect(claims.released).toEqual([
      expect.objectContaining({ processId: notification.processId, state: notification.state, leaseUntil: NOW + 5000 }),
    ]);
    expect(claims.items.size).toBe(0);
  });

  test('after a released failure, the sender\'s retry claims afresh and is accepted', async () => {
    // Prepare
    queue.failure = new Error('SQS 500');
    await acceptor.accept(request()).catch(() => undefined);
    queue.failure = undefined;

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('accepted');
    expect(queue.messages).toHaveLength(1);
  });

  test('an enqueue failure after a take-over releases the lease this request took', async () => {
    // Prepare
    claims.seed({ processId: notification.processId, state: notification.state, status: 'claimed', leaseUntil: NOW - 10 });
    queue.failure = new Error('SQS 500');

    // Act
    const result = acceptor.accept(request({ leaseUntil: NOW + 7000 }));

    // Assess
    await expect(result).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(claims.released).toEqual([expect.objectContaining({ leaseUntil: NOW + 7000 })]);
  });

  test('a failed release is logged as a warning and the enqueue failure is still reported', async () => {
    // Prepare
    queue.failure = new Error('SQS 500');
    claims.releaseFailure = new Error('DynamoDB 500');

    // Act
    const error = await acceptor.accept(request()).catch((reason: unknown) => reason);

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('intake queue');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('a claim store failure is reported as unavailable and nothing is enqueued', async () => {
    // Prepare
    claims.claim = async () => {
      throw new Error('DynamoDB 500');
    };

    // Act
    const error = await acceptor.accept(request()).catch((reason: unknown) => reason);

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('claim store');
    expect(queue.messages).toEqual([]);
  });

  test('a queue that never answers is given up in time to answer before the deadline', async () => {
    // Prepare
    queue.hang = true;
    const quick = new NotificationAcceptor({ claims, queue, logger: { warn }, clock, releaseReserveMs: 30 });
    const deadline = Deadline.after(60);

    // Act
    const error = await quick.accept(request({ deadline })).catch((reason: unknown) => reason);
    const answeredAt = Date.now();

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(answeredAt).toBeLessThanOrEqual(deadline.expiresAt);
    expect(claims.calls).toEqual(['claim', 'enqueue', 'release']);
  });
});
