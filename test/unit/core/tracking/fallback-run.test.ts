import { beforeEach, describe, expect, test } from '@jest/globals';
import type { AcceptanceOutcome, AcceptanceRequest } from '../../../../lambdas/core/acceptance/accept-notification.ts';
import type { DetectionSource } from '../../../../lambdas/core/acceptance/ports.ts';
import { DependencyUnavailableError } from '../../../../lambdas/core/errors.ts';
import {
  DEFAULT_DUE_PAGE_SIZE,
  FallbackRun,
  flowOf,
  type FallbackRunWindow,
  type ProcessCheck,
} from '../../../../lambdas/core/tracking/fallback-run.ts';
import type { NotificationLedger, TrackedProcess, TrackingEnd, TrackingStore, LedgerClaim } from '../../../../lambdas/core/tracking/ports.ts';
import {
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
} from '../../../../lambdas/core/unico/process-fetcher.ts';
import { DEFAULT_FALLBACK_SCHEDULE, type FallbackSchedule } from '../../../../lambdas/contracts/fallback-schedule.ts';
import { dueShardOf } from '../../../../lambdas/contracts/tracking-table.ts';

const NOW = Date.parse('2026-11-26T10:00:00.000Z');
const ISO_NOW = new Date(NOW).toISOString();
const LATER = new Date(NOW + 86_400_000).toISOString();
const SCHEDULE: FallbackSchedule = {
  firstCheckSeconds: 900,
  backoffFactor: 2,
  maxCheckIntervalSeconds: 14_400,
  journeyFinishedCheckSeconds: 60,
  defaultExpirySeconds: 604_800,
};

/** Ids whose shard is known, so a test can place processes in one shard or several. */
function idsInShard(shard: string, count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n += 1) {
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    if (dueShardOf(id) === shard) ids.push(id);
  }
  return ids;
}

function tracked(processId: string, overrides: Partial<TrackedProcess> = {}): TrackedProcess {
  return {
    processId,
    status: 'tracking',
    trackedAt: new Date(NOW - 900_000).toISOString(),
    expiresAt: LATER,
    nextCheckAt: NOW - 1,
    checks: 0,
    ...overrides,
  };
}

class InMemoryTracking implements TrackingStore {
  readonly items = new Map<string, TrackedProcess>();
  readonly log: string[] = [];
  readonly ends: TrackingEnd[] = [];
  readonly dueQueries: Array<{ shard: string; now: number; limit: number; signal: AbortSignal | undefined }> = [];
  readonly signals: Array<AbortSignal | undefined> = [];
  finishFailure: Error | undefined;
  dueFailure: Error | undefined;

  add(...processes: TrackedProcess[]): void {
    for (const process of processes) this.items.set(process.processId, process);
  }
  async track(): Promise<'created' | 'exists'> {
    throw new Error('not used by the fallback');
  }
  async journeyFinished(): Promise<'recorded' | 'unknown'> {
    throw new Error('not used by the fallback');
  }
  async get(processId: string) {
    return this.items.get(processId);
  }
  async due(shard: string, now: number, limit: number, signal?: AbortSignal) {
    this.dueQueries.push({ shard, now, limit, signal });
    if (this.dueFailure) throw this.dueFailure;
    return [...this.items.values()]
      .filter((item) => item.status === 'tracking' && dueShardOf(item.processId) === shard && (item.nextCheckAt ?? Infinity) <= now)
      .sort((a, b) => (a.nextCheckAt ?? 0) - (b.nextCheckAt ?? 0))
      .slice(0, limit);
  }
  async reschedule(processId: string, nextCheckAt: number, checks: number, at: string, signal?: AbortSignal) {
    this.log.push(`reschedule ${processId} ${nextCheckAt - NOW} ${checks} ${at}`);
    this.signals.push(signal);
    const item = this.items.get(processId);
    if (item) this.items.set(processId, { ...item, nextCheckAt, checks, lastCheckedAt: at });
  }
  async finish(processId: string, end: TrackingEnd, signal?: AbortSignal) {
    this.log.push(`finish ${processId} ${JSON.stringify(end)}`);
    this.ends.push(end);
    this.signals.push(signal);
    if (this.finishFailure) throw this.finishFailure;
    const item = this.items.get(processId);
    if (item) {
      const { nextCheckAt: _left, ...rest } = item;
      this.items.set(processId, { ...rest, status: end.status });
    }
  }
}

/** Claims as the tests set them: confirmed, of the finished state, unless a test says otherwise. */
class InMemoryLedger implements NotificationLedger {
  readonly claims = new Map<string, Partial<LedgerClaim> & { detectedBy: DetectionSource; receivedAt: string }>();
  readonly reads: string[] = [];
  failure: Error | undefined;
  async anyClaim(processId: string): Promise<LedgerClaim | undefined> {
    this.reads.push(processId);
    if (this.failure) throw this.failure;
    const claim = this.claims.get(processId);
    return claim === undefined ? undefined : { state: 'PROCESS_STATE_FINISHED', flow: 'idlive', confirmed: true, ...claim };
  }
}

class ScriptedFetcher implements ProcessFetcher {
  readonly calls: Array<{ processId: string; signal: AbortSignal | undefined; notAfterMs: number | undefined }> = [];
  readonly answers = new Map<string, () => FetchedProcess>();
  async getProcess(processId: string, signal?: AbortSignal, notAfterMs?: number) {
    this.calls.push({ processId, signal, notAfterMs });
    const answer = this.answers.get(processId);
    if (!answer) throw new Error(`no answer scripted for ${processId}`);
    return answer();
  }
}

class RecordingAcceptor {
  readonly requests: AcceptanceRequest[] = [];
  outcome: AcceptanceOutcome = 'accepted';
  failure: Error | undefined;
  /** Runs inside accept: lets a test make a claim appear, as the acceptor would. */
  during: (request: AcceptanceRequest) => void = () => undefined;
  async accept(request: AcceptanceRequest) {
    this.requests.push(request);
    this.during(request);
    if (this.failure) throw this.failure;
    return this.outcome;
  }
}

function finished(overrides: Partial<FetchedProcess> = {}, process: Record<string, unknown> = { flow: 'idtoken' }): FetchedProcess {
  return {
    contract: 'web-sdk',
    fetchedAt: ISO_NOW,
    process: { state: 'PROCESS_STATE_FINISHED', ...process },
    final: true,
    resultCode: 'PROCESS_RESULT_OK',
    ...overrides,
  };
}
const unfinished: FetchedProcess = { contract: 'web-sdk', fetchedAt: ISO_NOW, process: { state: 'PROCESS_STATE_CREATED' }, final: false };

let now: number;
let tracking: InMemoryTracking;
let ledger: InMemoryLedger;
let fetcher: ScriptedFetcher;
let acceptor: RecordingAcceptor;
let checks: ProcessCheck[];
let window: FallbackRunWindow;
const signal = new AbortController().signal;

function fallback(overrides: { pageSize?: number; schedule?: FallbackSchedule; onCheck?: boolean } = {}): FallbackRun {
  return new FallbackRun({
    tracking,
    ledger,
    fetcher,
    acceptor,
    schedule: overrides.schedule ?? SCHEDULE,
    clock: () => now,
    ...(overrides.pageSize === undefined ? {} : { pageSize: overrides.pageSize }),
    ...(overrides.onCheck === false ? {} : { onCheck: (check: ProcessCheck) => checks.push(check) }),
  });
}

const [A, B, C, D] = idsInShard('0', 4) as [string, string, string, string];

beforeEach(() => {
  now = NOW;
  tracking = new InMemoryTracking();
  ledger = new InMemoryLedger();
  fetcher = new ScriptedFetcher();
  acceptor = new RecordingAcceptor();
  checks = [];
  window = { endsAt: NOW + 50_000, minProcessMs: 5000, signal };
});

const emptySummary = {
  checked: 0,
  recovered: 0,
  notified: 0,
  expired: 0,
  notFound: 0,
  removed: 0,
  rescheduled: 0,
  failed: 0,
  unicoCalls: 0,
  stoppedEarly: false,
  budgetExhausted: false,
};

describe('a process already notified', () => {
  test('by a webhook: tracking ends as notified, without a call to Unico', async () => {
    tracking.add(tracked(A));
    ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, notified: 1 });
    expect(fetcher.calls).toEqual([]);
    expect(acceptor.requests).toEqual([]);
    expect(tracking.log).toEqual([`finish ${A} ${JSON.stringify({ status: 'notified', detectedBy: 'webhook', at: ISO_NOW })}`]);
    expect(checks).toEqual([{ processId: A, outcome: 'notified', detectedBy: 'webhook' }]);
  });

  test('also when its expiry has passed: notified late is not lost', async () => {
    tracking.add(tracked(A, { expiresAt: new Date(NOW - 1).toISOString() }));
    ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, notified: 1 });
  });

  test('by an earlier run of the fallback, confirmed: recovered, without a call to Unico or a second send', async () => {
    tracking.add(tracked(A, { checks: 2 }));
    ledger.claims.set(A, { detectedBy: 'fallback', receivedAt: ISO_NOW });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, recovered: 1 });
    expect(acceptor.requests).toEqual([]);
    expect(fetcher.calls).toEqual([]);
    expect(tracking.log).toEqual([`finish ${A} ${JSON.stringify({ status: 'recovered', detectedBy: 'fallback', at: ISO_NOW })}`]);
  });

  test.each(['webhook', 'fallback'] as const)(
    'an unconfirmed claim (by %s) may never have reached the queue: sent again from the claim, first detection kept, no call to Unico',
    async (detectedBy) => {
      tracking.add(tracked(A, { checks: 1 }));
      ledger.claims.set(A, {
        detectedBy,
        receivedAt: '2026-01-01T00:00:00.000Z',
        confirmed: false,
        state: 'PROCESS_STATE_FINISHED',
        flow: 'idunicosign',
        lastEvent: 'EVENT_TYPE_SESSION_ENDED',
      });
      acceptor.outcome = 'resent';

      const summary = await fallback().run(window);

      expect(fetcher.calls).toEqual([]);
      expect(acceptor.requests).toEqual([
        expect.objectContaining({
          notification: { processId: A, state: 'PROCESS_STATE_FINISHED', flow: 'idunicosign', lastEvent: 'EVENT_TYPE_SESSION_ENDED' },
          detectedBy,
          receivedAt: '2026-01-01T00:00:00.000Z',
        }),
      ]);
      expect(summary).toEqual({ ...emptySummary, checked: 1, ...(detectedBy === 'webhook' ? { notified: 1 } : { recovered: 1 }) });
    },
  );

  test('an unconfirmed claim whose send fails stays due, untouched, for the next run', async () => {
    tracking.add(tracked(A));
    ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW, confirmed: false });
    acceptor.failure = new Error('intake queue unavailable');

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, failed: 1 });
    expect(tracking.log).toEqual([]);
  });

  test('an unconfirmed claim without a flow (a record recreated by a confirmation) is sent as flow "unknown"', async () => {
    tracking.add(tracked(A));
    ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW, confirmed: false, flow: undefined });

    await fallback().run(window);

    expect(acceptor.requests[0]?.notification).toStrictEqual({ processId: A, state: 'PROCESS_STATE_FINISHED', flow: 'unknown' });
  });
});

describe('a process past its expiry with no claim', () => {
  test('ends as expired without a call to Unico', async () => {
    tracking.add(tracked(A, { expiresAt: ISO_NOW, checks: 4 }));

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, expired: 1 });
    expect(fetcher.calls).toEqual([]);
    expect(tracking.log).toEqual([`finish ${A} ${JSON.stringify({ status: 'expired', at: ISO_NOW })}`]);
    expect(checks).toEqual([{ processId: A, outcome: 'expired', checks: 4 }]);
  });

  test('a millisecond before its expiry it is still checked', async () => {
    tracking.add(tracked(A, { expiresAt: new Date(NOW + 1).toISOString() }));
    fetcher.answers.set(A, () => unfinished);

    const summary = await fallback().run(window);

    expect(summary.expired).toBe(0);
    expect(fetcher.calls).toHaveLength(1);
  });
});

describe('a process found final by GetProcess', () => {
  test('goes through the webhook\'s claim + enqueue with detectedBy fallback, then ends as recovered', async () => {
    tracking.add(tracked(A, { checks: 1 }));
    fetcher.answers.set(A, () => finished());

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, recovered: 1, unicoCalls: 1 });
    expect(fetcher.calls).toEqual([{ processId: A, signal, notAfterMs: window.endsAt }]);
    expect(acceptor.requests).toHaveLength(1);
    const [request] = acceptor.requests as [AcceptanceRequest];
    expect(request.notification).toEqual({ processId: A, state: 'PROCESS_STATE_FINISHED', flow: 'idtoken' });
    expect(request.detectedBy).toBe('fallback');
    expect(request.receivedAt).toBe(ISO_NOW);
    expect(request.deadline.expiresAt).toBe(window.endsAt);
    expect(request.deadline.remainingMs()).toBe(50_000);
    expect(ledger.reads).toEqual([A]);
    expect(tracking.log).toEqual([
      `finish ${A} ${JSON.stringify({ status: 'recovered', detectedBy: 'fallback', resultCode: 'PROCESS_RESULT_OK', at: ISO_NOW })}`,
    ]);
    expect(checks).toEqual([{ processId: A, outcome: 'recovered', checks: 2, resultCode: 'PROCESS_RESULT_OK' }]);
  });

  test('without a result code, none is kept', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => {
      const { resultCode: _none, ...rest } = finished();
      return rest;
    });

    await fallback().run(window);

    expect(tracking.ends).toStrictEqual([{ status: 'recovered', detectedBy: 'fallback', at: ISO_NOW }]);
    expect(checks).toStrictEqual([{ processId: A, outcome: 'recovered', checks: 1 }]);
  });

  test('the webhook won the race (a confirmed claim): ends as notified by the webhook, not recovered', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => finished());
    acceptor.outcome = 'duplicate';
    acceptor.during = () => ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, notified: 1, unicoCalls: 1 });
    expect(ledger.reads).toEqual([A, A]);
    expect(tracking.log).toEqual([
      `finish ${A} ${JSON.stringify({ status: 'notified', detectedBy: 'webhook', resultCode: 'PROCESS_RESULT_OK', at: ISO_NOW })}`,
    ]);
    expect(checks).toEqual([{ processId: A, outcome: 'notified', detectedBy: 'webhook' }]);
  });

  test('the webhook\'s claim not yet confirmed (resent): notified by the webhook', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => finished());
    acceptor.outcome = 'resent';
    acceptor.during = () => ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, notified: 1, unicoCalls: 1 });
  });

  test('a claim that vanished before it could be read: notified, with no detection source', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => finished());
    acceptor.outcome = 'duplicate';

    await fallback().run(window);

    expect(tracking.ends).toStrictEqual([{ status: 'notified', resultCode: 'PROCESS_RESULT_OK', at: ISO_NOW }]);
    expect(checks).toStrictEqual([{ processId: A, outcome: 'notified' }]);
  });

  test('the intake queue failed: not recovered, left due for the next run', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => finished());
    const failure = new DependencyUnavailableError('intake queue', new Error('down'));
    acceptor.failure = failure;

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, failed: 1, unicoCalls: 1 });
    expect(tracking.log).toEqual([]);
    expect(tracking.items.get(A)?.status).toBe('tracking');
    expect(checks).toEqual([{ processId: A, outcome: 'failed', error: failure }]);
  });
});

describe('the flow a recovery carries', () => {
  test.each([
    ['idunicosign', 'idunicosign'],
    ['a'.repeat(64), 'a'.repeat(64)],
    ['a'.repeat(65), 'unknown'],
    ['', 'unknown'],
    ['has space', 'unknown'],
    [42, 'unknown'],
    [undefined, 'unknown'],
  ])('web-sdk flow %p gives %p', (flow, expected) => {
    expect(flowOf(finished({}, { flow }))).toBe(expected);
  });

  test('the API contract has no flow', () => {
    expect(flowOf(finished({ contract: 'api' }, { flow: 'idtoken' }))).toBe('unknown');
  });
});

describe('a process not final yet', () => {
  test.each([
    [0, 1800_000, 1],
    [1, 3600_000, 2],
    [3, 14_400_000, 4],
    [9, 14_400_000, 10],
  ])('after %p checks it is rescheduled %p ms later with the count raised', async (done, delayMs, count) => {
    tracking.add(tracked(A, { checks: done }));
    fetcher.answers.set(A, () => unfinished);

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, rescheduled: 1, unicoCalls: 1 });
    expect(tracking.log).toEqual([`reschedule ${A} ${delayMs} ${count} ${ISO_NOW}`]);
    expect(checks).toStrictEqual([{ processId: A, outcome: 'rescheduled', nextCheckAt: NOW + delayMs, checks: count }]);
    expect(acceptor.requests).toEqual([]);
  });

  test('the next check is never after its expiry', async () => {
    const expiresAt = NOW + 600_000;
    tracking.add(tracked(A, { expiresAt: new Date(expiresAt).toISOString() }));
    fetcher.answers.set(A, () => unfinished);

    await fallback().run(window);

    expect(tracking.items.get(A)?.nextCheckAt).toBe(expiresAt);
  });

  test('the default schedule: 15 min, then 30 min after the first unfinished answer', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => unfinished);

    await fallback({ schedule: DEFAULT_FALLBACK_SCHEDULE }).run(window);

    expect(tracking.items.get(A)?.nextCheckAt).toBe(NOW + 30 * 60_000);
  });
});

describe('GetProcess refused for good', () => {
  test.each([
    [404, 'process_not_found', 'not_found', 'notFound'],
    [410, 'process_removed', 'removed', 'removed'],
    [400, 'http_400', 'not_found', 'notFound'],
  ] as const)('%p ends tracking as %s with the code', async (status, code, outcome, counter) => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => {
      throw new UnicoPermanentError(status, code, `GetProcess: Unico answered ${status}`);
    });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, [counter]: 1, unicoCalls: 1 });
    expect(tracking.log).toEqual([`finish ${A} ${JSON.stringify({ status: outcome, resultCode: code, at: ISO_NOW })}`]);
    expect(checks).toEqual([{ processId: A, outcome, code }]);
  });
});

describe('GetProcess failing for now', () => {
  test('rescheduled by the back-off when Unico asks for less', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => {
      throw new UnicoTransientError('429', { code: 'rate_limited', retryAfterMs: 5000, status: 429 });
    });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, rescheduled: 1, unicoCalls: 1 });
    expect(checks).toEqual([{ processId: A, outcome: 'rescheduled', nextCheckAt: NOW + 1800_000, checks: 1, code: 'rate_limited' }]);
  });

  test('rescheduled by Retry-After when it is longer than the back-off', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => {
      throw new UnicoTransientError('503', { code: 'server_error', retryAfterMs: 1800_001, status: 503 });
    });

    await fallback().run(window);

    expect(tracking.log).toEqual([`reschedule ${A} 1800001 1 ${ISO_NOW}`]);
  });

  test('without a Retry-After: the back-off', async () => {
    tracking.add(tracked(A, { checks: 1 }));
    fetcher.answers.set(A, () => {
      throw new UnicoTransientError('timeout', { code: 'timeout' });
    });

    await fallback().run(window);

    expect(tracking.log).toEqual([`reschedule ${A} 3600000 2 ${ISO_NOW}`]);
  });

  test('the budget has no slot before the run\'s end: no more calls this run, the rest left due', async () => {
    tracking.add(tracked(A, { nextCheckAt: NOW - 3 }), tracked(B, { nextCheckAt: NOW - 2 }), tracked(C, { nextCheckAt: NOW - 1 }));
    fetcher.answers.set(A, () => unfinished);
    fetcher.answers.set(B, () => {
      throw new UnicoTransientError('no slot', { code: 'budget_wait', retryAfterMs: 70_000 });
    });
    fetcher.answers.set(C, () => unfinished);

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, rescheduled: 1, unicoCalls: 2, stoppedEarly: true, budgetExhausted: true });
    expect(fetcher.calls.map((call) => call.processId)).toEqual([A, B]);
    expect(tracking.items.get(B)?.nextCheckAt).toBe(NOW - 2);
    expect(tracking.log).toEqual([`reschedule ${A} 1800000 1 ${ISO_NOW}`]);
  });

  test('a failure that is not Unico\'s: left due', async () => {
    tracking.add(tracked(A));
    const failure = new TypeError('bug');
    fetcher.answers.set(A, () => {
      throw failure;
    });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, failed: 1, unicoCalls: 1 });
    expect(checks).toEqual([{ processId: A, outcome: 'failed', error: failure }]);
  });
});

describe('failures of our own dependencies', () => {
  test('the ledger fails: left due, and the run goes on with the next process', async () => {
    tracking.add(tracked(A, { nextCheckAt: NOW - 2 }), tracked(B, { nextCheckAt: NOW - 1 }));
    ledger.failure = new Error('throttled');
    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 2, failed: 2 });
    expect(fetcher.calls).toEqual([]);
  });

  test('ending the tracking fails: counted as failed, each process looked at once', async () => {
    tracking.add(tracked(A));
    ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW });
    tracking.finishFailure = new Error('throttled');

    const summary = await fallback({ pageSize: 1 }).run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 1, failed: 1 });
    expect(tracking.dueQueries.map((query) => query.shard)).toEqual(['0', '1', '2', '3', '0']);
  });

  test('reading the due index fails: the run fails', async () => {
    tracking.dueFailure = new Error('index unavailable');
    await expect(fallback().run(window)).rejects.toBe(tracking.dueFailure);
  });
});

describe('reading the due processes', () => {
  test('every shard is queried with the run\'s time, the page size and the signal', async () => {
    const summary = await fallback().run(window);

    expect(summary).toEqual(emptySummary);
    expect(tracking.dueQueries).toEqual(['0', '1', '2', '3'].map((shard) => ({ shard, now: NOW, limit: DEFAULT_DUE_PAGE_SIZE, signal })));
  });

  test('pages are read in turns across shards until a page is short; every due process once, soonest first', async () => {
    const zero = idsInShard('0', 5);
    const two = idsInShard('2', 2);
    tracking.add(...zero.map((id, n) => tracked(id, { nextCheckAt: NOW - 10 + n })), ...two.map((id) => tracked(id)));
    for (const id of [...zero, ...two]) fetcher.answers.set(id, () => unfinished);

    const summary = await fallback({ pageSize: 2 }).run(window);

    expect(summary.checked).toBe(7);
    expect(fetcher.calls.map((call) => call.processId)).toEqual([zero[0], zero[1], two[0], two[1], zero[2], zero[3], zero[4]]);
    expect(tracking.dueQueries.map((query) => query.shard)).toEqual(['0', '1', '2', '3', '0', '2', '0']);
  });

  test('a process due in the future is not looked at', async () => {
    tracking.add(tracked(A, { nextCheckAt: NOW + 1 }));

    const summary = await fallback().run(window);

    expect(summary.checked).toBe(0);
  });

  test('works without an observer', async () => {
    tracking.add(tracked(A));
    ledger.claims.set(A, { detectedBy: 'webhook', receivedAt: ISO_NOW });

    const summary = await fallback({ onCheck: false }).run(window);

    expect(summary.notified).toBe(1);
  });
});

describe('time', () => {
  test('a process is started only with enough time left; the rest stay due for the next run', async () => {
    tracking.add(tracked(A, { nextCheckAt: NOW - 3 }), tracked(B, { nextCheckAt: NOW - 2 }), tracked(C, { nextCheckAt: NOW - 1 }));
    fetcher.answers.set(A, () => {
      now = window.endsAt - 5000;
      return unfinished;
    });
    fetcher.answers.set(B, () => {
      now += 1;
      return unfinished;
    });

    const summary = await fallback().run(window);

    expect(summary).toEqual({ ...emptySummary, checked: 2, rescheduled: 2, unicoCalls: 2, stoppedEarly: true });
    expect(fetcher.calls.map((call) => call.processId)).toEqual([A, B]);
    expect(tracking.items.get(C)?.nextCheckAt).toBe(NOW - 1);
  });

  test('no shard is read when the run starts with too little time', async () => {
    tracking.add(tracked(A));

    const summary = await fallback().run({ ...window, endsAt: NOW + 4999 });

    expect(summary).toEqual({ ...emptySummary, stoppedEarly: true });
    expect(tracking.dueQueries).toEqual([]);
  });

  test('the next shard is not read once the time is spent', async () => {
    tracking.add(tracked(A), tracked(D));
    fetcher.answers.set(A, () => {
      now = window.endsAt - 4999;
      return unfinished;
    });
    fetcher.answers.set(D, () => unfinished);

    const summary = await fallback({ pageSize: 1 }).run(window);

    expect(summary.stoppedEarly).toBe(true);
    expect(tracking.dueQueries.map((query) => query.shard)).toEqual(['0']);
  });

  test('times are read from the clock at each step', async () => {
    tracking.add(tracked(A));
    fetcher.answers.set(A, () => {
      now += 1000;
      return unfinished;
    });

    await fallback().run(window);

    expect(tracking.log).toEqual([`reschedule ${A} ${1000 + 1800_000} 1 ${new Date(NOW + 1000).toISOString()}`]);
  });
});
