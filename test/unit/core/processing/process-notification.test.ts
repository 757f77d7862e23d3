import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Claim, IntakeMessage } from '../../../../lambdas/core/acceptance/ports.ts';
import {
  NotificationProcessor,
  OutcomeNotYetAvailableError,
} from '../../../../lambdas/core/processing/process-notification.ts';
import type { ClaimKey, ClaimLedger, ConfirmationSummary, ResultsPublisher } from '../../../../lambdas/core/processing/ports.ts';
import {
  UnicoPermanentError,
  UnicoTransientError,
  type FetchedProcess,
  type ProcessFetcher,
} from '../../../../lambdas/core/unico/process-fetcher.ts';
import { safeParse } from 'valibot';
import { resultsEventSchema, type ResultsEvent, type ResultsEventAttributes } from '../../../../lambdas/contracts/results-event.ts';
import { caught } from '../../../support/unit/caught-errors.ts';

const NOW = Date.parse('2026-11-26T10:00:05.000Z');

class InMemoryClaims implements ClaimLedger {
  readonly claims = new Map<string, Claim>();
  readonly confirmations: Array<{ key: ClaimKey; summary: ConfirmationSummary }> = [];
  log: string[] = [];
  async read(key: ClaimKey) {
    this.log.push('read');
    return this.claims.get(`${key.processId}:${key.state}`);
  }
  async confirm(key: ClaimKey, summary: ConfirmationSummary) {
    this.log.push('confirm');
    this.confirmations.push({ key, summary });
    const existing = this.claims.get(`${key.processId}:${key.state}`);
    if (existing) this.claims.set(`${key.processId}:${key.state}`, { ...existing, status: 'confirmed' });
  }
}

class RecordingPublisher implements ResultsPublisher {
  readonly published: Array<{ event: ResultsEvent; attributes: ResultsEventAttributes }> = [];
  failure: Error | undefined;
  readonly #log: string[];
  constructor(log: string[]) {
    this.#log = log;
  }
  async publish(event: ResultsEvent, attributes: ResultsEventAttributes) {
    this.#log.push('publish');
    if (this.failure) throw this.failure;
    this.published.push({ event, attributes });
  }
}

class ScriptedFetcher implements ProcessFetcher {
  readonly calls: string[] = [];
  answer: () => FetchedProcess = () => ({
    contract: 'web-sdk',
    fetchedAt: '2026-11-26T10:00:04.000Z',
    process: { id: message.processId, result: 'PROCESS_RESULT_OK', person: { duiValue: '12345678909' } },
    resultCode: 'PROCESS_RESULT_OK',
  });
  async getProcess(processId: string) {
    this.calls.push(processId);
    return this.answer();
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

let claims: InMemoryClaims;
let publisher: RecordingPublisher;
let fetcher: ScriptedFetcher;
let processor: NotificationProcessor;

beforeEach(() => {
  claims = new InMemoryClaims();
  claims.claims.set(`${message.processId}:${message.state}`, claim);
  publisher = new RecordingPublisher(claims.log);
  fetcher = new ScriptedFetcher();
  processor = new NotificationProcessor({ claims, publisher, fetcher, eventSource: 'UnicoWebhook-test', clock: () => NOW });
});

describe('NotificationProcessor', () => {
  test('a finished process: its outcome fetched, one CloudEvent published, then the claim confirmed', async () => {
    // Act
    const outcome = await processor.process(message);

    // Assess
    expect(outcome).toBe('published');
    expect(claims.log).toEqual(['read', 'publish', 'confirm']);
    expect(publisher.published).toHaveLength(1);
    const [{ event, attributes }] = publisher.published as [{ event: ResultsEvent; attributes: ResultsEventAttributes }];
    expect(safeParse(resultsEventSchema, event).success).toBe(true);
    expect(event).toEqual({
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
  });

  test('the claim keeps times and the result code, never the outcome', async () => {
    // Act
    await processor.process(message);

    // Assess
    expect(claims.confirmations).toEqual([
      {
        key: { processId: message.processId, state: message.state },
        summary: {
          confirmedAt: '2026-11-26T10:00:05.000Z',
          resultCode: 'PROCESS_RESULT_OK',
          outcomeFetchedAt: '2026-11-26T10:00:04.000Z',
        },
      },
    ]);
    expect(JSON.stringify(claims.confirmations)).not.toContain('12345678909');
  });

  test('a message whose claim is confirmed is a copy: dropped, nothing fetched or published', async () => {
    // Prepare
    claims.claims.set(`${message.processId}:${message.state}`, { ...claim, status: 'confirmed' });

    // Act
    const outcome = await processor.process(message);

    // Assess
    expect(outcome).toBe('already-confirmed');
    expect(fetcher.calls).toEqual([]);
    expect(publisher.published).toEqual([]);
    expect(claims.log).toEqual(['read']);
  });

  test('a second message of the same notification after the first was processed gives no second event', async () => {
    // Act
    await processor.process(message);
    const second = await processor.process({ ...message, receivedAt: '2026-11-26T10:09:00.000Z' });

    // Assess
    expect(second).toBe('already-confirmed');
    expect(publisher.published).toHaveLength(1);
  });

  test('other states pass on without an outcome and without asking Unico', async () => {
    // Act
    await processor.process({ ...message, state: 'PROCESS_STATE_SOMETHING_NEW', lastEvent: 'EVENT_TYPE_X', lastEventDescription: 'why' });

    // Assess
    expect(fetcher.calls).toEqual([]);
    const event = publisher.published[0]?.event;
    expect(event?.type).toBe('io.unico.idcloud.process.state-changed');
    expect(event?.data).toEqual(
      expect.objectContaining({ outcome: null, lastEvent: 'EVENT_TYPE_X', lastEventDescription: 'why' }),
    );
    expect(event?.data).not.toHaveProperty('outcomeError');
  });

  test('with fetching switched off, a finished process is published with outcome null', async () => {
    // Prepare
    const withoutFetching = new NotificationProcessor({ claims, publisher, eventSource: 's', clock: () => NOW });

    // Act
    await withoutFetching.process(message);

    // Assess
    expect(publisher.published[0]?.event.data.outcome).toBeNull();
    expect(claims.confirmations[0]?.summary).toEqual({ confirmedAt: '2026-11-26T10:00:05.000Z' });
  });

  test.each([
    [404, 'not_found'],
    [410, 'gone'],
  ])('a %i from Unico is published as outcomeError, and the claim confirmed', async (status, code) => {
    // Prepare
    fetcher.answer = () => {
      throw new UnicoPermanentError(status, code, `Unico answered ${status}`);
    };

    // Act
    const outcome = await processor.process(message);

    // Assess
    expect(outcome).toBe('published');
    expect(publisher.published[0]?.event.data).toEqual(
      expect.objectContaining({ outcome: null, outcomeError: { status, code, message: `Unico answered ${status}` } }),
    );
    expect(claims.confirmations[0]?.summary.outcomeErrorStatus).toBe(status);
  });

  test('a transient failure publishes nothing and confirms nothing, and tells when to come back', async () => {
    // Prepare
    fetcher.answer = () => {
      throw new UnicoTransientError('Unico answered 429', { status: 429, retryAfterMs: 2000 });
    };

    // Act
    const error = await caught(processor.process(message));

    // Assess
    expect(error).toBeInstanceOf(OutcomeNotYetAvailableError);
    expect((error as OutcomeNotYetAvailableError).retryAfterMs).toBe(2000);
    expect(publisher.published).toEqual([]);
    expect(claims.confirmations).toEqual([]);
  });

  test('a publish that fails leaves the claim unconfirmed, so the message is processed again', async () => {
    // Prepare
    publisher.failure = new Error('SQS 500');

    // Act
    const error = await caught(processor.process(message));

    // Assess
    expect(error).toBe(publisher.failure);
    expect(claims.confirmations).toEqual([]);
    expect(claims.claims.get(`${message.processId}:${message.state}`)?.status).toBe('claimed');
  });

  test('a claim that expired meanwhile does not stop the event, and is confirmed afresh', async () => {
    // Prepare
    claims.claims.clear();

    // Act
    const outcome = await processor.process(message);

    // Assess
    expect(outcome).toBe('published');
    expect(claims.confirmations).toHaveLength(1);
  });
});
