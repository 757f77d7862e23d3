import { describe, expect, test } from '@jest/globals';
import type { TrackedProcess, TrackingEnd, TrackingStore, TrackRequest } from '../../../../lambdas/core/tracking/ports.ts';
import { InvalidProcessIdError, TrackingService, UnknownProcessError } from '../../../../lambdas/core/tracking/tracking-service.ts';
import { DependencyUnavailableError, InvalidJsonError, InvalidPayloadError, PayloadTooLargeError } from '../../../../lambdas/core/errors.ts';
import { DEFAULT_FALLBACK_SCHEDULE, type FallbackSchedule } from '../../../../lambdas/contracts/fallback-schedule.ts';

const PROCESS_ID = '3f2a6c1e-8b4d-4e2f-9a1b-7c6d5e4f3a2b';
const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const DAY_MS = 86_400_000;
const schedule: FallbackSchedule = { ...DEFAULT_FALLBACK_SCHEDULE, firstCheckSeconds: 900, journeyFinishedCheckSeconds: 60, defaultExpirySeconds: 7 * 86_400 };

/** Records what the service asks of the store, and answers as told. */
class RecordingStore implements TrackingStore {
  readonly tracked: TrackRequest[] = [];
  readonly signalled: Array<{ processId: string; at: string; checkBy: number }> = [];
  readonly reads: string[] = [];
  trackAnswer: 'created' | 'exists' = 'created';
  journeyAnswer: 'recorded' | 'unknown' = 'recorded';
  item: TrackedProcess | undefined;
  failure: Error | undefined;

  async track(request: TrackRequest): Promise<'created' | 'exists'> {
    if (this.failure) throw this.failure;
    this.tracked.push(request);
    return this.trackAnswer;
  }
  async journeyFinished(processId: string, at: string, checkBy: number): Promise<'recorded' | 'unknown'> {
    if (this.failure) throw this.failure;
    this.signalled.push({ processId, at, checkBy });
    return this.journeyAnswer;
  }
  async get(processId: string): Promise<TrackedProcess | undefined> {
    if (this.failure) throw this.failure;
    this.reads.push(processId);
    return this.item;
  }
  async due(): Promise<readonly TrackedProcess[]> {
    throw new Error('not used by the routes');
  }
  async reschedule(): Promise<void> {
    throw new Error('not used by the routes');
  }
  async finish(_processId: string, _end: TrackingEnd): Promise<void> {
    throw new Error('not used by the routes');
  }
}

function serviceWith(store = new RecordingStore()) {
  return { store, service: new TrackingService({ store, schedule, clock: () => NOW }) };
}

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');

async function issuesOf(work: Promise<unknown>) {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InvalidPayloadError);
  return (error as InvalidPayloadError).issues;
}

describe('track', () => {
  test('no body: tracked until the default expiry, first check after the first wait', async () => {
    const { store, service } = serviceWith();
    await expect(service.track(PROCESS_ID, Buffer.alloc(0))).resolves.toEqual({ processId: PROCESS_ID, outcome: 'created' });
    expect(store.tracked).toEqual([
      {
        processId: PROCESS_ID,
        expiresAt: new Date(NOW + 7 * DAY_MS).toISOString(),
        trackedAt: new Date(NOW).toISOString(),
        firstCheckAt: NOW + 900_000,
      },
    ]);
  });

  test('expiresAt and clientReference as given; the id in lower case; unknown fields ignored', async () => {
    const { store, service } = serviceWith();
    const result = await service.track(
      PROCESS_ID.toUpperCase(),
      body({ expiresAt: '2025-06-16T09:00:00-03:00', clientReference: 'order:42/a_b.c-d', colour: 'blue' }),
    );
    expect(result).toEqual({ processId: PROCESS_ID, outcome: 'created' });
    expect(store.tracked).toEqual([
      {
        processId: PROCESS_ID,
        expiresAt: '2025-06-16T12:00:00.000Z',
        clientReference: 'order:42/a_b.c-d',
        trackedAt: new Date(NOW).toISOString(),
        firstCheckAt: NOW + 900_000,
      },
    ]);
  });

  test('null fields are absent', async () => {
    const { store, service } = serviceWith();
    await service.track(PROCESS_ID, body({ expiresAt: null, clientReference: null }));
    expect(store.tracked[0]).not.toHaveProperty('clientReference');
    expect(store.tracked[0]?.expiresAt).toBe(new Date(NOW + 7 * DAY_MS).toISOString());
  });

  test('a known process: exists', async () => {
    const { store, service } = serviceWith();
    store.trackAnswer = 'exists';
    await expect(service.track(PROCESS_ID, body({}))).resolves.toEqual({ processId: PROCESS_ID, outcome: 'exists' });
  });

  test('expiresAt exactly 30 days away is allowed; a millisecond more is not', async () => {
    const { store, service } = serviceWith();
    await service.track(PROCESS_ID, body({ expiresAt: new Date(NOW + 30 * DAY_MS).toISOString() }));
    expect(store.tracked).toHaveLength(1);
    expect(await issuesOf(service.track(PROCESS_ID, body({ expiresAt: new Date(NOW + 30 * DAY_MS + 1).toISOString() })))).toEqual([
      { path: 'expiresAt', message: 'must be at most 30 days away' },
    ]);
  });

  test.each([
    [{ expiresAt: new Date(NOW).toISOString() }, 'expiresAt', 'must be in the future'],
    [{ expiresAt: '2025-06-14T12:00:00Z' }, 'expiresAt', 'must be in the future'],
    [{ expiresAt: 'tomorrow' }, 'expiresAt', 'must be an ISO 8601 date-time, e.g. 2025-06-15T12:00:00Z'],
    [{ expiresAt: 1_750_000_000 }, 'expiresAt', 'must be an ISO 8601 date-time'],
    [{ clientReference: '' }, 'clientReference', 'must be 1 to 128 of A-Z a-z 0-9 _ . : / -'],
    [{ clientReference: 'x'.repeat(129) }, 'clientReference', 'must be 1 to 128 of A-Z a-z 0-9 _ . : / -'],
    [{ clientReference: 'maria@example.com' }, 'clientReference', 'must be 1 to 128 of A-Z a-z 0-9 _ . : / -'],
    [{ clientReference: 42 }, 'clientReference', 'must be a string'],
  ])('%j: 400 on %s, "%s"', async (given, path, message) => {
    const { store, service } = serviceWith();
    expect(await issuesOf(service.track(PROCESS_ID, body(given)))).toEqual([{ path, message }]);
    expect(store.tracked).toEqual([]);
  });

  test('both fields wrong: one issue each', async () => {
    const { service } = serviceWith();
    const issues = await issuesOf(service.track(PROCESS_ID, body({ expiresAt: 'soon', clientReference: 'a b' })));
    expect(issues.map((issue) => issue.path)).toEqual(['expiresAt', 'clientReference']);
  });

  test.each(['{', '[]', '"text"', 'null', '42'])('body %s: invalid JSON (not an object)', async (text) => {
    const { service } = serviceWith();
    await expect(service.track(PROCESS_ID, body(text))).rejects.toBeInstanceOf(InvalidJsonError);
  });

  test('a body over 4 KiB: too large, before it is parsed', async () => {
    const { store, service } = serviceWith();
    await expect(service.track(PROCESS_ID, Buffer.alloc(4097, 'x'))).rejects.toBeInstanceOf(PayloadTooLargeError);
    // 4 KiB exactly is still read (blank: no options).
    await expect(service.track(PROCESS_ID, Buffer.alloc(4096, ' '))).resolves.toMatchObject({ outcome: 'created' });
    expect(store.tracked).toHaveLength(1);
  });

  test.each([undefined, '', 'not-a-uuid', `${PROCESS_ID}0`, '../etc'])('processId %p: invalid, nothing stored', async (processId) => {
    const { store, service } = serviceWith();
    await expect(service.track(processId, body({}))).rejects.toBeInstanceOf(InvalidProcessIdError);
    expect(store.tracked).toEqual([]);
  });

  test('a store failure: the dependency is unavailable, with its cause', async () => {
    const { store, service } = serviceWith();
    const cause = new Error('throttled');
    store.failure = cause;
    const error = await service.track(PROCESS_ID, body({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).cause).toBe(cause);
  });
});

describe('journeyFinished', () => {
  test('recorded now, the check due within the journey-finished wait', async () => {
    const { store, service } = serviceWith();
    await expect(service.journeyFinished(PROCESS_ID.toUpperCase())).resolves.toEqual({ processId: PROCESS_ID });
    expect(store.signalled).toEqual([{ processId: PROCESS_ID, at: new Date(NOW).toISOString(), checkBy: NOW + 60_000 }]);
  });

  test('a process never tracked: unknown', async () => {
    const { store, service } = serviceWith();
    store.journeyAnswer = 'unknown';
    await expect(service.journeyFinished(PROCESS_ID)).rejects.toBeInstanceOf(UnknownProcessError);
  });

  test('an invalid id or a store failure', async () => {
    const { store, service } = serviceWith();
    await expect(service.journeyFinished('nope')).rejects.toBeInstanceOf(InvalidProcessIdError);
    store.failure = new Error('down');
    await expect(service.journeyFinished(PROCESS_ID)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

describe('status', () => {
  test('times, counts and codes; the next check as a date; never the client reference', async () => {
    const { store, service } = serviceWith();
    store.item = {
      processId: PROCESS_ID,
      status: 'tracking',
      trackedAt: '2025-06-15T11:00:00.000Z',
      expiresAt: '2025-06-22T11:00:00.000Z',
      clientReference: 'customer-12345678900',
      nextCheckAt: NOW + 60_000,
      checks: 1,
      lastCheckedAt: '2025-06-15T11:15:00.000Z',
      journeyFinishedAt: '2025-06-15T11:59:00.000Z',
    };
    const view = await service.status(PROCESS_ID.toUpperCase());
    expect(store.reads).toEqual([PROCESS_ID]);
    expect(view).toEqual({
      processId: PROCESS_ID,
      status: 'tracking',
      trackedAt: '2025-06-15T11:00:00.000Z',
      expiresAt: '2025-06-22T11:00:00.000Z',
      nextCheckAt: '2025-06-15T12:01:00.000Z',
      checks: 1,
      lastCheckedAt: '2025-06-15T11:15:00.000Z',
      journeyFinishedAt: '2025-06-15T11:59:00.000Z',
    });
  });

  test('a recovered process: when, how, and its result code', async () => {
    const { store, service } = serviceWith();
    store.item = {
      processId: PROCESS_ID,
      status: 'recovered',
      trackedAt: '2025-06-15T11:00:00.000Z',
      expiresAt: '2025-06-22T11:00:00.000Z',
      checks: 2,
      notifiedAt: '2025-06-15T11:30:00.000Z',
      detectedBy: 'fallback',
      resultCode: 'PROCESS_RESULT_OK',
    };
    expect(await service.status(PROCESS_ID)).toEqual({
      processId: PROCESS_ID,
      status: 'recovered',
      trackedAt: '2025-06-15T11:00:00.000Z',
      expiresAt: '2025-06-22T11:00:00.000Z',
      checks: 2,
      notifiedAt: '2025-06-15T11:30:00.000Z',
      detectedBy: 'fallback',
      resultCode: 'PROCESS_RESULT_OK',
    });
  });

  test('unknown, invalid, unavailable', async () => {
    const { store, service } = serviceWith();
    await expect(service.status(PROCESS_ID)).rejects.toBeInstanceOf(UnknownProcessError);
    await expect(service.status('x')).rejects.toBeInstanceOf(InvalidProcessIdError);
    store.failure = new Error('down');
    await expect(service.status(PROCESS_ID)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
