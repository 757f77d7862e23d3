import { beforeEach, describe, expect, test } from '@jest/globals';
import { NotificationAcceptor, type AcceptanceRequest } from '../../../../lambdas/core/acceptance/accept-notification.ts';
import type {
  Claim,
  ClaimAttempt,
  ClaimRequest,
  ClaimStore,
  IntakeMessage,
  IntakeQueue,
} from '../../../../lambdas/core/acceptance/ports.ts';
import { Deadline } from '../../../../lambdas/core/deadline.ts';
import { DependencyUnavailableError } from '../../../../lambdas/core/errors.ts';
import type { Notification } from '../../../../lambdas/core/notification.ts';
import { caught } from '../../../support/unit/caught-errors.ts';

/** An in-memory claim store that records what it was asked and can be told to fail or hang. */
class FakeClaimStore implements ClaimStore {
  readonly items = new Map<string, Claim>();
  readonly calls: string[] = [];
  claimRequests: ClaimRequest[] = [];
  failure: Error | undefined;
  hang = false;

  async claim(request: ClaimRequest): Promise<ClaimAttempt> {
    this.calls.push('claim');
    this.claimRequests.push(request);
    if (this.hang) return new Promise<ClaimAttempt>(() => undefined);
    if (this.failure) throw this.failure;
    const key = `${request.notification.processId}:${request.notification.state}`;
    const existing = this.items.get(key);
    if (existing) return { outcome: 'exists', existing };
    this.items.set(key, {
      processId: request.notification.processId,
      state: request.notification.state,
      status: 'claimed',
      detectedBy: request.detectedBy,
      receivedAt: request.receivedAt,
      claimToken: request.claimToken,
    });
    return { outcome: 'created' };
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
    deadline: Deadline.after(4000),
    ...overrides,
  };
}

/** A claim another request created: same key, its own token and first detection. */
function earlierClaim(status: Claim['status']): Claim {
  return {
    processId: notification.processId,
    state: notification.state,
    status,
    detectedBy: 'fallback',
    receivedAt: '2025-06-15T11:59:00.000Z',
    claimToken: 'token-of-an-earlier-request',
  };
}

let claims: FakeClaimStore;
let queue: FakeIntakeQueue;
let acceptor: NotificationAcceptor;
let tokens: number;

beforeEach(() => {
  claims = new FakeClaimStore();
  queue = new FakeIntakeQueue(claims.calls);
  tokens = 0;
  acceptor = new NotificationAcceptor({ claims, queue, newClaimToken: () => `token-${++tokens}` });
});

describe('NotificationAcceptor', () => {
  test('a new notification is claimed with a fresh token, then sent with how and when it was detected', async () => {
    // Act
    const outcome = await acceptor.accept(request({ detectedBy: 'fallback' }));

    // Assess
    expect(outcome).toBe('accepted');
    expect(claims.calls).toEqual(['claim', 'enqueue']);
    expect(claims.claimRequests).toEqual([
      { notification, detectedBy: 'fallback', receivedAt: '2025-06-15T12:00:00.000Z', claimToken: 'token-1' },
    ]);
    expect(queue.messages).toEqual([
      { ...notification, detectedBy: 'fallback', receivedAt: '2025-06-15T12:00:00.000Z' },
    ]);
  });

  test('each request claims with a token of its own', async () => {
    // Act
    await acceptor.accept(request());
    await acceptor.accept(request());

    // Assess
    expect(claims.claimRequests.map((claim) => claim.claimToken)).toEqual(['token-1', 'token-2']);
  });

  test('a confirmed claim is a duplicate after one request, and nothing is sent', async () => {
    // Prepare
    claims.seed(earlierClaim('confirmed'));

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('duplicate');
    expect(claims.calls).toEqual(['claim']);
    expect(queue.messages).toEqual([]);
  });

  test('an unconfirmed claim of another request is sent again, as first detected, and answered as seen before', async () => {
    // Prepare
    claims.seed(earlierClaim('claimed'));

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('resent');
    expect(claims.calls).toEqual(['claim', 'enqueue']);
    expect(queue.messages).toEqual([
      { ...notification, detectedBy: 'fallback', receivedAt: '2025-06-15T11:59:00.000Z' },
    ]);
  });

  test('finding its own token (the put applied, its answer lost, the SDK retried) is still the first acceptance', async () => {
    // Prepare
    claims.seed({ ...earlierClaim('claimed'), claimToken: 'token-1' });

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('accepted');
    expect(queue.messages).toHaveLength(1);
  });

  test('a send that fails after a new claim reports the queue unavailable and keeps the claim', async () => {
    // Prepare
    queue.failure = new Error('SQS 500');

    // Act
    const error = await caught(acceptor.accept(request()));

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('intake queue');
    expect(claims.calls).toEqual(['claim', 'enqueue']);
    expect([...claims.items.values()].map((claim) => claim.status)).toEqual(['claimed']);
  });

  test('a send that fails for an unconfirmed claim is never answered as a duplicate', async () => {
    // Prepare
    claims.seed(earlierClaim('claimed'));
    queue.failure = new Error('SQS 500');

    // Act
    const error = await caught(acceptor.accept(request()));

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('intake queue');
  });

  test('after a failed send, the sender\'s retry sends again and is answered as seen before', async () => {
    // Prepare
    queue.failure = new Error('SQS 500');
    await caught(acceptor.accept(request()));
    queue.failure = undefined;

    // Act
    const outcome = await acceptor.accept(request());

    // Assess
    expect(outcome).toBe('resent');
    expect(queue.messages).toEqual([{ ...notification, detectedBy: 'webhook', receivedAt: '2025-06-15T12:00:00.000Z' }]);
  });

  test('a claim store failure is reported as unavailable and nothing is sent', async () => {
    // Prepare
    claims.failure = new Error('DynamoDB 500');

    // Act
    const error = await caught(acceptor.accept(request()));

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('claim store');
    expect(queue.messages).toEqual([]);
  });

  test('a queue that never answers is given up before the deadline', async () => {
    // Prepare
    queue.hang = true;
    const deadline = Deadline.after(60);

    // Act
    const error = await caught(acceptor.accept(request({ deadline })));
    const answeredAt = Date.now();

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(answeredAt).toBeLessThanOrEqual(deadline.expiresAt + 20);
    expect(claims.calls).toEqual(['claim', 'enqueue']);
  });

  test('a claim store that never answers is given up before the deadline, and nothing is sent', async () => {
    // Prepare
    claims.hang = true;
    const deadline = Deadline.after(60);

    // Act
    const error = await caught(acceptor.accept(request({ deadline })));

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('claim store');
    expect(claims.calls).toEqual(['claim']);
  });
});
