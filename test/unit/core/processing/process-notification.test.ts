import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Claim, IntakeMessage } from '../../../../lambdas/core/acceptance/ports.ts';
import {
  NotificationProcessor,
  OutcomeNotYetAvailableError,
  type NotificationProcessorDependencies,
  type ProcessingAttempt,
} from '../../../../lambdas/core/processing/process-notification.ts';
import type { ClaimKey, ClaimLedger, ConfirmationSummary, ResultsPublisher } from '../../../../lambdas/core/processing/ports.ts';
import {
  UnicoCredentialsRefusedError,
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
} from '../../../../lambdas/core/unico/process-fetcher.ts';
import { safeParse } from 'valibot';
import { resultsEventSchema, type ResultsEvent, type ResultsEventAttributes } from '../../../../lambdas/contracts/results-event.ts';
import { caught } from '../../../support/unit/caught-errors.ts';

const NOW = Date.parse('2026-11-26T10:00:05.000Z');
const PERIOD_MS = 3 * 60 * 60 * 1000;
const CONFLICT_MAX_RECEIVES = 5;

class InMemoryClaims implements ClaimLedger {
  readonly claims = new Map<string, Claim>();
  readonly confirmations: Array<{ key: ClaimKey; summary: ConfirmationSummary }> = [];
  readonly signals: Array<AbortSignal | undefined> = [];
  /** The next confirmations that fail (each before applying), in order. */
  confirmFailures: Error[] = [];
  /** Runs when a confirmation fails, before the failure is thrown. */
  onConfirmFailure: () => void = () => undefined;
  log: string[] = [];
  async read(key: ClaimKey, signal?: AbortSignal) {
    this.log.push('read');
    this.signals.push(signal);
    return this.claims.get(`${key.processId}:${key.state}`);
  }
  async confirm(key: ClaimKey, summary: ConfirmationSummary, signal?: AbortSignal) {
    this.log.push('confirm');
    this.signals.push(signal);
    const failure = this.confirmFailures.shift();
    if (failure) {
      this.onConfirmFailure();
      throw failure;
    }
    this.confirmations.push({ key, summary });
    const existing = this.claims.get(`${key.processId}:${key.state}`);
    if (existing) this.claims.set(`${key.processId}:${key.state}`, { ...existing, status: 'confirmed' });
  }
}

class RecordingPublisher implements ResultsPublisher {
  readonly published: Array<{ event: ResultsEvent; attributes: ResultsEventAttributes; signal: AbortSignal | undefined }> = [];
  readonly measured: Array<{ event: ResultsEvent; attributes: ResultsEventAttributes }> = [];
  failure: Error | undefined;
  /** Whether the queue takes an event: the test decides. */
  takes: (event: ResultsEvent) => boolean = () => true;
  readonly #log: string[];
  constructor(log: string[]) {
    this.#log = log;
  }
  fits(event: ResultsEvent, attributes: ResultsEventAttributes) {
    this.measured.push({ event, attributes });
    return this.takes(event);
  }
  async publish(event: ResultsEvent, attributes: ResultsEventAttributes, signal?: AbortSignal) {
    this.#log.push('publish');
    if (this.failure) throw this.failure;
    this.published.push({ event, attributes, signal });
  }
}

class ScriptedFetcher implements ProcessFetcher {
  readonly calls: Array<{ processId: string; signal: AbortSignal | undefined; notAfterMs: number | undefined }> = [];
  answer: () => FetchedProcess = () => finalProcess;
  async getProcess(processId: string, signal?: AbortSignal, notAfterMs?: number) {
    this.calls.push({ processId, signal, notAfterMs });
    return this.answer();
  }
  failWith(error: Error): void {
    this.answer = () => {
      throw error;
    };
  }
}

const message: IntakeMessage = {
  processId: '6c1f0b7e-2f9a-4d4e-8a61-0d2f4b9c7e11',
  state: 'PROCESS_STATE_FINISHED',
  flow: 'idunicosign',
  detectedBy: 'webhook',
  receivedAt: '2026-11-26T10:00:00.000Z',
};
const claim: Claim = {
  processId: message.processId,
  state: message.state,
  status: 'claimed',
  detectedBy: 'webhook',
  receivedAt: message.receivedAt,
  claimToken: 't',
};
const finalProcess: FetchedProcess = {
  contract: 'web-sdk',
  fetchedAt: '2026-11-26T10:00:04.000Z',
  process: { id: message.processId, result: 'PROCESS_RESULT_OK', person: { duiValue: '12345678909' } },
  final: true,
  resultCode: 'PROCESS_RESULT_OK',
};
const notFinalProcess: FetchedProcess = {
  contract: 'web-sdk',
  fetchedAt: '2026-11-26T10:00:04.000Z',
  process: { id: message.processId, state: 'PROCESS_STATE_WAITING' },
  final: false,
};
const KEY = { processId: message.processId, state: message.state };
/** A first receive of a message sent a second ago. */
const fresh: ProcessingAttempt = { firstSentAt: NOW - 1000, receiveCount: 1 };
/** A message exactly as old as the retry period. */
const periodOver: ProcessingAttempt = { firstSentAt: NOW - PERIOD_MS, receiveCount: 1 };

let now: number;
let sleeps: Array<{ ms: number; signal: AbortSignal | undefined }>;
let claims: InMemoryClaims;
let publisher: RecordingPublisher;
let fetcher: ScriptedFetcher;
let processor: NotificationProcessor;

function processorWith(overrides: Partial<NotificationProcessorDependencies> = {}): NotificationProcessor {
  return new NotificationProcessor({
    claims,
    publisher,
    fetcher,
    eventSource: 'UnicoWebhook-test',
    retries: { periodMs: PERIOD_MS, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
    clock: () => now,
    sleep: async (ms, signal) => {
      sleeps.push({ ms, signal });
    },
    ...overrides,
  });
}

beforeEach(() => {
  now = NOW;
  sleeps = [];
  claims = new InMemoryClaims();
  claims.claims.set(`${message.processId}:${message.state}`, claim);
  publisher = new RecordingPublisher(claims.log);
  fetcher = new ScriptedFetcher();
  processor = processorWith();
});

/** The one event published; fails when there is not exactly one. */
function theEvent(): ResultsEvent {
  expect(publisher.published).toHaveLength(1);
  return (publisher.published[0] as { event: ResultsEvent }).event;
}

/** The one OutcomeNotYetAvailableError the attempt ends with, and nothing published or confirmed. */
async function waitsFor(attempt: ProcessingAttempt): Promise<OutcomeNotYetAvailableError> {
  const error = await caught(processor.process(message, attempt));
  expect(error).toBeInstanceOf(OutcomeNotYetAvailableError);
  expect(publisher.published).toEqual([]);
  expect(claims.confirmations).toEqual([]);
  expect(claims.log).toEqual(['read']);
  return error as OutcomeNotYetAvailableError;
}

describe('NotificationProcessor: what is published', () => {
  test('a finished process: its outcome fetched, one CloudEvent published, then the claim confirmed', async () => {
    // Act
    const outcome = await processor.process(message, fresh);

    // Assess
    expect(outcome).toBe('published');
    expect(claims.log).toEqual(['read', 'publish', 'confirm']);
    expect(publisher.published).toHaveLength(1);
    const { event, attributes } = publisher.published[0] as { event: ResultsEvent; attributes: ResultsEventAttributes };
    expect(safeParse(resultsEventSchema, event).success).toBe(true);
    // Strict: a field the message did not have (lastEvent here) is left out, not set to undefined.
    expect(event).toStrictEqual({
      specversion: '1.0',
      id: `${message.processId}:PROCESS_STATE_FINISHED`,
      source: 'UnicoWebhook-test',
      type: 'io.unico.idcloud.process.finished',
      subject: message.processId,
      time: '2026-11-26T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        processId: message.processId,
        state: 'PROCESS_STATE_FINISHED',
        flow: 'idunicosign',
        detectedBy: 'webhook',
        receivedAt: '2026-11-26T10:00:00.000Z',
        outcome: {
          contract: 'web-sdk',
          fetchedAt: '2026-11-26T10:00:04.000Z',
          process: { id: message.processId, result: 'PROCESS_RESULT_OK', person: { duiValue: '12345678909' } },
        },
      },
    });
    expect(attributes).toEqual({
      type: 'io.unico.idcloud.process.finished',
      state: 'PROCESS_STATE_FINISHED',
      flow: 'idunicosign',
      detectedBy: 'webhook',
    });
    expect(publisher.measured).toEqual([{ event, attributes }]);
  });

  test('the claim keeps times and the result code, never the outcome', async () => {
    // Act
    await processor.process(message, fresh);

    // Assess
    expect(claims.confirmations).toEqual([
      {
        key: KEY,
        summary: {
          confirmedAt: '2026-11-26T10:00:05.000Z',
          resultCode: 'PROCESS_RESULT_OK',
          outcomeFetchedAt: '2026-11-26T10:00:04.000Z',
        },
      },
    ]);
    expect(JSON.stringify(claims.confirmations)).not.toContain('12345678909');
  });

  test('a final process without a result code: the claim keeps no resultCode', async () => {
    // Prepare
    const { resultCode: _left, ...withoutCode } = finalProcess;
    fetcher.answer = () => withoutCode;

    // Act
    await processor.process(message, fresh);

    // Assess: strict, so that no resultCode key is kept, not even an undefined one.
    expect(claims.confirmations[0]?.summary).toStrictEqual({
      confirmedAt: '2026-11-26T10:00:05.000Z',
      outcomeFetchedAt: '2026-11-26T10:00:04.000Z',
    });
  });

  test('a message whose claim is confirmed is a copy: dropped, nothing fetched or published', async () => {
    // Prepare
    claims.claims.set(`${message.processId}:${message.state}`, { ...claim, status: 'confirmed' });

    // Act
    const outcome = await processor.process(message, fresh);

    // Assess
    expect(outcome).toBe('already-confirmed');
    expect(fetcher.calls).toEqual([]);
    expect(publisher.published).toEqual([]);
    expect(publisher.measured).toEqual([]);
    expect(claims.log).toEqual(['read']);
  });

  test('a second message of the same notification after the first was processed gives no second event', async () => {
    // Act
    await processor.process(message, fresh);
    const second = await processor.process({ ...message, receivedAt: '2026-11-26T10:09:00.000Z' }, { ...fresh, receiveCount: 2 });

    // Assess
    expect(second).toBe('already-confirmed');
    expect(publisher.published).toHaveLength(1);
    expect(fetcher.calls).toHaveLength(1);
  });

  test('other states pass on without an outcome and without asking Unico', async () => {
    // Act
    await processor.process(
      { ...message, state: 'PROCESS_STATE_SOMETHING_NEW', lastEvent: 'EVENT_TYPE_X', lastEventDescription: 'why' },
      fresh,
    );

    // Assess
    expect(fetcher.calls).toEqual([]);
    const event = theEvent();
    expect(event.id).toBe(`${message.processId}:PROCESS_STATE_SOMETHING_NEW`);
    expect(event.type).toBe('io.unico.idcloud.process.state-changed');
    expect(event.data).toEqual({
      processId: message.processId,
      state: 'PROCESS_STATE_SOMETHING_NEW',
      flow: 'idunicosign',
      lastEvent: 'EVENT_TYPE_X',
      lastEventDescription: 'why',
      detectedBy: 'webhook',
      receivedAt: '2026-11-26T10:00:00.000Z',
      outcome: null,
    });
    expect(publisher.published[0]?.attributes).toEqual({
      type: 'io.unico.idcloud.process.state-changed',
      state: 'PROCESS_STATE_SOMETHING_NEW',
      flow: 'idunicosign',
      detectedBy: 'webhook',
    });
    expect(claims.confirmations).toEqual([
      { key: { processId: message.processId, state: 'PROCESS_STATE_SOMETHING_NEW' }, summary: { confirmedAt: '2026-11-26T10:00:05.000Z' } },
    ]);
  });

  test('a state that is not finished is published even when the message is older than the retry period', async () => {
    // Act
    const outcome = await processor.process({ ...message, state: 'PROCESS_STATE_FAILED' }, periodOver);

    // Assess
    expect(outcome).toBe('published');
    expect(fetcher.calls).toEqual([]);
    expect(theEvent().data).not.toHaveProperty('outcomeError');
  });

  test('with fetching switched off, a finished process is published with outcome null', async () => {
    // Prepare
    const withoutFetching = new NotificationProcessor({
      claims,
      publisher,
      eventSource: 's',
      retries: { periodMs: PERIOD_MS, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
      clock: () => now,
    });

    // Act
    await withoutFetching.process(message, fresh);

    // Assess
    expect(theEvent().data.outcome).toBeNull();
    expect(theEvent().data).not.toHaveProperty('outcomeError');
    expect(theEvent().source).toBe('s');
    expect(claims.confirmations[0]?.summary).toStrictEqual({ confirmedAt: '2026-11-26T10:00:05.000Z' });
  });

  test('the outcome is a copy of what Unico answered, not the fetcher\'s own object', async () => {
    // Prepare
    const answered = { id: message.processId, result: 'PROCESS_RESULT_OK' };
    fetcher.answer = () => ({ ...finalProcess, process: answered });

    // Act
    await processor.process(message, fresh);

    // Assess
    expect(theEvent().data.outcome?.process).toEqual(answered);
    expect(theEvent().data.outcome?.process).not.toBe(answered);
  });

  test('without a clock of its own, the confirmation is stamped with the system time', async () => {
    // Prepare
    const withSystemClock = new NotificationProcessor({
      claims,
      publisher,
      fetcher,
      eventSource: 's',
      retries: { periodMs: PERIOD_MS, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
    });
    const before = Date.now();

    // Act
    await withSystemClock.process(message, { firstSentAt: Date.now(), receiveCount: 1 });

    // Assess
    const confirmedAt = Date.parse(claims.confirmations[0]?.summary.confirmedAt ?? '');
    expect(confirmedAt).toBeGreaterThanOrEqual(before);
    expect(confirmedAt).toBeLessThanOrEqual(Date.now());
  });

  test('a publish that fails leaves the claim unconfirmed, so the message is processed again', async () => {
    // Prepare
    publisher.failure = new Error('SQS 500');

    // Act
    const error = await caught(processor.process(message, fresh));

    // Assess
    expect(error).toBe(publisher.failure);
    expect(claims.confirmations).toEqual([]);
    expect(claims.log).toEqual(['read', 'publish']);
    expect(claims.claims.get(`${message.processId}:${message.state}`)?.status).toBe('claimed');
  });

  test('a claim that expired meanwhile does not stop the event, and is confirmed afresh', async () => {
    // Prepare
    claims.claims.clear();

    // Act
    const outcome = await processor.process(message, fresh);

    // Assess
    expect(outcome).toBe('published');
    expect(claims.confirmations).toHaveLength(1);
  });

  test("the attempt's signal and deadline reach every call: read, GetProcess, publish and confirm", async () => {
    // Prepare
    const signal = new AbortController().signal;

    // Act
    await processor.process(message, { ...fresh, signal, notAfterMs: NOW + 20_000 });

    // Assess
    expect(fetcher.calls).toEqual([{ processId: message.processId, signal, notAfterMs: NOW + 20_000 }]);
    expect(publisher.published[0]?.signal).toBe(signal);
    expect(claims.signals).toEqual([signal, signal]);
  });
});

describe('NotificationProcessor: an outcome that cannot be had', () => {
  test.each([
    [404, 'process_not_found'],
    [410, 'process_gone'],
  ])('a %i from Unico is published as outcomeError, and the claim confirmed', async (status, code) => {
    // Prepare
    fetcher.failWith(new UnicoPermanentError(status, code, `Unico answered ${status}`));

    // Act
    const outcome = await processor.process(message, fresh);

    // Assess
    expect(outcome).toBe('published');
    expect(theEvent().data).toEqual(
      expect.objectContaining({ outcome: null, outcomeError: { status, code, message: `Unico answered ${status}` } }),
    );
    expect(claims.confirmations).toEqual([
      { key: KEY, summary: { confirmedAt: '2026-11-26T10:00:05.000Z', outcomeErrorStatus: status } },
    ]);
  });

  test.each([
    {
      why: 'a 429 with Retry-After',
      error: new UnicoTransientError('Unico answered 429', { code: 'rate_limited', status: 429, retryAfterMs: 2000, unicoErrorCode: 'RATE_LIMIT' }),
      expected: { code: 'rate_limited', status: 429, unicoErrorCode: 'RATE_LIMIT', retryAfterMs: 2000 },
    },
    {
      why: 'a 503',
      error: new UnicoTransientError('Unico answered 503', { code: 'server_error', status: 503 }),
      expected: { code: 'server_error', status: 503, unicoErrorCode: undefined, retryAfterMs: undefined },
    },
    {
      why: 'a timeout',
      error: new UnicoTransientError('GetProcess timed out', { code: 'timeout' }),
      expected: { code: 'timeout', status: undefined, unicoErrorCode: undefined, retryAfterMs: undefined },
    },
  ])('$why within the retry period: nothing published or confirmed, and the error tells why and when', async ({ error, expected }) => {
    // Prepare
    fetcher.failWith(error);

    // Act
    const waiting = await waitsFor(fresh);

    // Assess
    expect({
      code: waiting.code,
      status: waiting.status,
      unicoErrorCode: waiting.unicoErrorCode,
      retryAfterMs: waiting.retryAfterMs,
    }).toEqual(expected);
    expect(waiting.credentialsRefused).toBe(false);
    expect(waiting.cause).toBe(error);
    expect(waiting.name).toBe('OutcomeNotYetAvailableError');
    expect(waiting.message).toBe(`Unico could not give the outcome now (${expected.code})`);
  });

  test('a transient failure when the message is 1 ms short of the retry period still waits', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('Unico answered 503', { code: 'server_error', status: 503 }));

    // Act
    const waiting = await waitsFor({ firstSentAt: NOW - PERIOD_MS + 1, receiveCount: 20 });

    // Assess
    expect(waiting.code).toBe('server_error');
  });

  test('a transient failure once the message is as old as the retry period: outcome_unavailable with the last status', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('Unico answered 503', { code: 'server_error', status: 503 }));

    // Act
    const outcome = await processor.process(message, periodOver);

    // Assess
    expect(outcome).toBe('published');
    expect(theEvent().data.outcome).toBeNull();
    expect(theEvent().data.outcomeError).toEqual({
      status: 503,
      code: 'outcome_unavailable',
      message: 'Unico could not give the outcome within the retry period (last failure: server_error)',
    });
    expect(claims.confirmations).toEqual([
      { key: KEY, summary: { confirmedAt: '2026-11-26T10:00:05.000Z', outcomeErrorStatus: 503 } },
    ]);
  });

  test('a failure without an answer after the retry period: outcome_unavailable with status 0', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('GetProcess timed out', { code: 'timeout' }));

    // Act
    await processor.process(message, { firstSentAt: NOW - PERIOD_MS - 60_000, receiveCount: 17 });

    // Assess
    expect(theEvent().data.outcomeError).toEqual({
      status: 0,
      code: 'outcome_unavailable',
      message: 'Unico could not give the outcome within the retry period (last failure: timeout)',
    });
    expect(claims.confirmations[0]?.summary.outcomeErrorStatus).toBe(0);
  });

  test('the period is measured when the message is taken up, not after a slow GetProcess', async () => {
    // Prepare: the call takes 2 s and ends past the period's end.
    fetcher.answer = () => {
      now += 2000;
      throw new UnicoTransientError('Unico answered 503', { code: 'server_error', status: 503 });
    };

    // Act
    const waiting = await waitsFor({ firstSentAt: NOW - PERIOD_MS + 1000, receiveCount: 20 });

    // Assess
    expect(waiting.code).toBe('server_error');
  });

  test('an error that is neither permanent nor transient is not turned into an outcome: it propagates', async () => {
    // Prepare
    const bug = new TypeError('fetcher bug');
    fetcher.failWith(bug);

    // Act
    const error = await caught(processor.process(message, periodOver));

    // Assess
    expect(error).toBe(bug);
    expect(publisher.published).toEqual([]);
    expect(claims.confirmations).toEqual([]);
  });

  test('a 409 below the receive limit waits', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('Unico answered 409', { code: 'process_wrong_state', status: 409 }));

    // Act
    const waiting = await waitsFor({ ...fresh, receiveCount: CONFLICT_MAX_RECEIVES - 1 });

    // Assess
    expect(waiting.code).toBe('process_wrong_state');
    expect(waiting.status).toBe(409);
  });

  test('a 409 at the receive limit is published as process_wrong_state 409', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('Unico answered 409', { code: 'process_wrong_state', status: 409 }));

    // Act
    const outcome = await processor.process(message, { ...fresh, receiveCount: CONFLICT_MAX_RECEIVES });

    // Assess
    expect(outcome).toBe('published');
    expect(theEvent().data.outcome).toBeNull();
    expect(theEvent().data.outcomeError).toEqual({
      status: 409,
      code: 'process_wrong_state',
      message: 'Unico answered 409 on 5 tries: the process is in a state GetProcess cannot serve',
    });
    expect(claims.confirmations[0]?.summary).toEqual({ confirmedAt: '2026-11-26T10:00:05.000Z', outcomeErrorStatus: 409 });
  });

  test('a process_wrong_state without a status is published as 409', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('conflict', { code: 'process_wrong_state' }));

    // Act
    await processor.process(message, { ...fresh, receiveCount: CONFLICT_MAX_RECEIVES + 3 });

    // Assess
    expect(theEvent().data.outcomeError?.status).toBe(409);
    expect(theEvent().data.outcomeError?.message).toBe(
      'Unico answered 409 on 8 tries: the process is in a state GetProcess cannot serve',
    );
  });

  test('a 409 below the receive limit after the retry period ends as outcome_unavailable', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('Unico answered 409', { code: 'process_wrong_state', status: 409 }));

    // Act
    await processor.process(message, { ...periodOver, receiveCount: CONFLICT_MAX_RECEIVES - 1 });

    // Assess
    expect(theEvent().data.outcomeError).toEqual(
      expect.objectContaining({ status: 409, code: 'outcome_unavailable' }),
    );
  });

  test('another code does not count towards the 409 limit', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('Unico answered 503', { code: 'server_error', status: 503 }));

    // Act
    const waiting = await waitsFor({ ...fresh, receiveCount: CONFLICT_MAX_RECEIVES + 10 });

    // Assess
    expect(waiting.code).toBe('server_error');
  });

  test('refused credentials wait, and say that a person must act', async () => {
    // Prepare
    const refused = new UnicoCredentialsRefusedError('the token endpoint answered 401', { status: 401, unicoErrorCode: 'invalid_client' });
    fetcher.failWith(refused);

    // Act
    const waiting = await waitsFor(fresh);

    // Assess
    expect(waiting.credentialsRefused).toBe(true);
    expect(waiting.code).toBe('credentials_refused');
    expect(waiting.status).toBe(401);
    expect(waiting.unicoErrorCode).toBe('invalid_client');
    expect(waiting.cause).toBe(refused);
  });

  test('credentials that cannot be used wait, and say that a person must act', async () => {
    // Prepare
    fetcher.failWith(new UnicoTransientError('the secret holds no client id', { code: 'credentials_unusable' }));

    // Act
    const waiting = await waitsFor(fresh);

    // Assess
    expect(waiting.credentialsRefused).toBe(true);
    expect(waiting.code).toBe('credentials_unusable');
    expect(waiting.status).toBeUndefined();
  });
});

describe('NotificationProcessor: a process not final yet', () => {
  test('within the retry period it waits, with process_not_final', async () => {
    // Prepare
    fetcher.answer = () => notFinalProcess;

    // Act
    const waiting = await waitsFor(fresh);

    // Assess
    expect(waiting.code).toBe('process_not_final');
    expect(waiting.status).toBe(200);
    expect(waiting.message).toBe('the process is not final yet');
    expect(waiting.retryAfterMs).toBeUndefined();
    expect(waiting.unicoErrorCode).toBeUndefined();
    expect(waiting.credentialsRefused).toBe(false);
    expect('cause' in waiting).toBe(false);
  });

  test('1 ms short of the retry period it still waits', async () => {
    // Prepare
    fetcher.answer = () => notFinalProcess;

    // Act
    const waiting = await waitsFor({ firstSentAt: NOW - PERIOD_MS + 1, receiveCount: 20 });

    // Assess
    expect(waiting.code).toBe('process_not_final');
  });

  test('once the message is as old as the retry period it is published with process_not_final', async () => {
    // Prepare
    fetcher.answer = () => ({ ...notFinalProcess, resultCode: 'PROCESS_RESULT_UNSPECIFIED' });

    // Act
    const outcome = await processor.process(message, periodOver);

    // Assess
    expect(outcome).toBe('published');
    expect(theEvent().data.outcome).toBeNull();
    expect(theEvent().data.outcomeError).toEqual({
      status: 200,
      code: 'process_not_final',
      message: 'the process was not final within the retry period',
    });
    expect(claims.confirmations).toEqual([
      {
        key: KEY,
        summary: { confirmedAt: '2026-11-26T10:00:05.000Z', resultCode: 'PROCESS_RESULT_UNSPECIFIED', outcomeErrorStatus: 200 },
      },
    ]);
  });

  test('its expiresAt reached (expiresAt == now) gives up at once, whatever the message\'s age', async () => {
    // Prepare
    fetcher.answer = () => ({ ...notFinalProcess, expiresAt: new Date(NOW).toISOString() });

    // Act
    await processor.process(message, fresh);

    // Assess
    expect(theEvent().data.outcomeError).toEqual({
      status: 200,
      code: 'process_not_final',
      message: 'the process expired before it was final',
    });
    expect(claims.confirmations[0]?.summary).toEqual({ confirmedAt: '2026-11-26T10:00:05.000Z', outcomeErrorStatus: 200 });
  });

  test('its expiresAt measured on the clock after GetProcess answered', async () => {
    // Prepare: the call takes 2 s; the process expires 1 s after it began.
    fetcher.answer = () => {
      now += 2000;
      return { ...notFinalProcess, expiresAt: new Date(NOW + 1000).toISOString() };
    };

    // Act
    await processor.process(message, fresh);

    // Assess
    expect(theEvent().data.outcomeError?.message).toBe('the process expired before it was final');
  });

  test('its expiresAt 1 ms ahead: it waits', async () => {
    // Prepare
    fetcher.answer = () => ({ ...notFinalProcess, expiresAt: new Date(NOW + 1).toISOString() });

    // Act
    const waiting = await waitsFor(fresh);

    // Assess
    expect(waiting.code).toBe('process_not_final');
  });

  test('an expired process after the retry period is said to have expired', async () => {
    // Prepare
    fetcher.answer = () => ({ ...notFinalProcess, expiresAt: new Date(NOW - 1).toISOString() });

    // Act
    await processor.process(message, periodOver);

    // Assess
    expect(theEvent().data.outcomeError?.message).toBe('the process expired before it was final');
  });
});

describe('NotificationProcessor: an event too large for the results queue', () => {
  test('one event with outcome null and outcome_too_large; the claim keeps the result code and status 200', async () => {
    // Prepare
    publisher.takes = (event) => event.data.outcome === null;

    // Act
    const outcome = await processor.process(message, fresh);

    // Assess
    expect(outcome).toBe('published');
    // Measured once, with the outcome; the event that replaces it carries none.
    expect(publisher.measured.map(({ event }) => event.data.outcome === null)).toEqual([false]);
    expect(theEvent()).toEqual({
      specversion: '1.0',
      id: `${message.processId}:PROCESS_STATE_FINISHED`,
      source: 'UnicoWebhook-test',
      type: 'io.unico.idcloud.process.finished',
      subject: message.processId,
      time: '2026-11-26T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        processId: message.processId,
        state: 'PROCESS_STATE_FINISHED',
        flow: 'idunicosign',
        detectedBy: 'webhook',
        receivedAt: '2026-11-26T10:00:00.000Z',
        outcome: null,
        outcomeError: {
          status: 200,
          code: 'outcome_too_large',
          message: 'the outcome is larger than a results event may carry; read it with GetProcess',
        },
      },
    });
    expect(safeParse(resultsEventSchema, theEvent()).success).toBe(true);
    expect(claims.log).toEqual(['read', 'publish', 'confirm']);
    expect(claims.confirmations).toEqual([
      {
        key: KEY,
        summary: { confirmedAt: '2026-11-26T10:00:05.000Z', resultCode: 'PROCESS_RESULT_OK', outcomeErrorStatus: 200 },
      },
    ]);
  });

  test('too large without a result code: the claim keeps only the status', async () => {
    // Prepare
    const { resultCode: _left, ...withoutCode } = finalProcess;
    fetcher.answer = () => withoutCode;
    publisher.takes = (event) => event.data.outcome === null;

    // Act
    await processor.process(message, fresh);

    // Assess
    expect(claims.confirmations[0]?.summary).toStrictEqual({ confirmedAt: '2026-11-26T10:00:05.000Z', outcomeErrorStatus: 200 });
  });
});

describe('NotificationProcessor: confirming the claim', () => {
  test('a confirmation that fails once is tried again after the pause: one event, two tries', async () => {
    // Prepare
    claims.confirmFailures = [new Error('DynamoDB 500')];
    processor = processorWith({ confirmPauseMs: 250 });

    // Act
    const outcome = await processor.process(message, fresh);

    // Assess
    expect(outcome).toBe('published');
    expect(publisher.published).toHaveLength(1);
    expect(claims.log).toEqual(['read', 'publish', 'confirm', 'confirm']);
    expect(claims.confirmations).toHaveLength(1);
    expect(sleeps).toEqual([{ ms: 250, signal: undefined }]);
  });

  test('by default: three tries, 200 ms then 400 ms apart', async () => {
    // Prepare
    claims.confirmFailures = [new Error('DynamoDB 500'), new Error('DynamoDB 500')];
    const signal = new AbortController().signal;

    // Act
    const outcome = await processor.process(message, { ...fresh, signal });

    // Assess
    expect(outcome).toBe('published');
    expect(claims.log.filter((step) => step === 'confirm')).toHaveLength(3);
    expect(sleeps).toEqual([
      { ms: 200, signal },
      { ms: 400, signal },
    ]);
  });

  test('failing every one of confirmAttempts tries: the last error propagates, after one publish', async () => {
    // Prepare
    const last = new Error('DynamoDB 500, third time');
    claims.confirmFailures = [new Error('first'), new Error('second'), last];

    // Act
    const error = await caught(processor.process(message, fresh));

    // Assess
    expect(error).toBe(last);
    expect(publisher.published).toHaveLength(1);
    expect(claims.log).toEqual(['read', 'publish', 'confirm', 'confirm', 'confirm']);
    expect(sleeps.map((pause) => pause.ms)).toEqual([200, 400]);
  });

  test('confirmAttempts: 2 stops after the second try', async () => {
    // Prepare
    const second = new Error('second');
    claims.confirmFailures = [new Error('first'), second, new Error('third')];
    processor = processorWith({ confirmAttempts: 2, confirmPauseMs: 10 });

    // Act
    const error = await caught(processor.process(message, fresh));

    // Assess
    expect(error).toBe(second);
    expect(claims.log.filter((step) => step === 'confirm')).toHaveLength(2);
    expect(sleeps.map((pause) => pause.ms)).toEqual([10]);
  });

  test('confirmAttempts below 1 still tries once', async () => {
    // Prepare
    const only = new Error('only');
    claims.confirmFailures = [only];
    processor = processorWith({ confirmAttempts: 0 });

    // Act
    const error = await caught(processor.process(message, fresh));

    // Assess
    expect(error).toBe(only);
    expect(claims.log.filter((step) => step === 'confirm')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test('an aborted signal stops the tries: no pause, the error propagates', async () => {
    // Prepare
    const controller = new AbortController();
    const failure = new Error('DynamoDB 500');
    claims.confirmFailures = [failure];
    claims.onConfirmFailure = () => controller.abort();

    // Act
    const error = await caught(processor.process(message, { ...fresh, signal: controller.signal }));

    // Assess
    expect(error).toBe(failure);
    expect(claims.log.filter((step) => step === 'confirm')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test('without a sleep of its own, the pause is a real timer that the signal cuts short', async () => {
    // Prepare
    const controller = new AbortController();
    claims.confirmFailures = [new Error('DynamoDB 500')];
    const withRealSleep = new NotificationProcessor({
      claims,
      publisher,
      fetcher,
      eventSource: 's',
      retries: { periodMs: PERIOD_MS, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
      clock: () => now,
      confirmPauseMs: 60_000,
    });
    claims.onConfirmFailure = () => setImmediate(() => controller.abort());

    // Act
    const error = await caught(withRealSleep.process(message, { ...fresh, signal: controller.signal }));

    // Assess
    expect((error as Error).name).toBe('AbortError');
    expect(claims.log.filter((step) => step === 'confirm')).toHaveLength(1);
  });

  test('without a sleep of its own and without a signal, the pause is a real timer that ends', async () => {
    // Prepare
    claims.confirmFailures = [new Error('DynamoDB 500')];
    const withRealSleep = new NotificationProcessor({
      claims,
      publisher,
      fetcher,
      eventSource: 's',
      retries: { periodMs: PERIOD_MS, conflictMaxReceives: CONFLICT_MAX_RECEIVES },
      clock: () => now,
      confirmPauseMs: 1,
    });

    // Act
    const outcome = await withRealSleep.process(message, fresh);

    // Assess
    expect(outcome).toBe('published');
    expect(claims.log.filter((step) => step === 'confirm')).toHaveLength(2);
  });
});
