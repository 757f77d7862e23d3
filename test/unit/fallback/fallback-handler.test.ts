import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createFallbackHandler, logCheck } from '../../../lambdas/fallback/fallback-handler.ts';
import type { FallbackRunSummary, FallbackRunWindow } from '../../../lambdas/core/tracking/fallback-run.ts';
import { fallbackTimeBudget } from '../../../lambdas/contracts/time-budgets.ts';
import { DependencyUnavailableError } from '../../../lambdas/core/errors.ts';

type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

class RecordingLogger {
  readonly lines: Array<{ level: Level; message: string; attributes: Record<string, unknown> }> = [];
  readonly contexts: Context[] = [];
  addContext(context: Context) {
    this.contexts.push(context);
  }
  debug(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'DEBUG', message, attributes });
  }
  info(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'INFO', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'WARN', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown> = {}) {
    this.lines.push({ level: 'ERROR', message, attributes });
  }
}

const NOW = 1_800_000_000_000;
const ID = '6c1c3c8e-2a4b-4c1e-9f6a-0a1b2c3d4e5f';
const time = fallbackTimeBudget(60);
const context = { getRemainingTimeInMillis: () => 59_000 } as unknown as Context;
const event = { 'detail-type': 'Scheduled Event' } as unknown as ScheduledEvent;
const summary: FallbackRunSummary = {
  checked: 3,
  recovered: 1,
  notified: 1,
  expired: 0,
  notFound: 0,
  removed: 0,
  rescheduled: 1,
  failed: 0,
  unicoCalls: 2,
  stoppedEarly: false,
  budgetExhausted: false,
};

let logger: RecordingLogger;
beforeEach(() => {
  logger = new RecordingLogger();
});

describe('one scheduled run', () => {
  test('runs within the invocation\'s remaining time less the margin, and logs the counts', async () => {
    const windows: FallbackRunWindow[] = [];
    const handler = createFallbackHandler({
      fallback: { run: async (window) => (windows.push(window), summary) },
      logger: logger as unknown as Logger,
      time,
      clock: () => NOW,
    });

    await expect(handler(event, context)).resolves.toEqual(summary);

    expect(windows).toHaveLength(1);
    expect(windows[0]?.endsAt).toBe(NOW + 59_000 - time.marginMs);
    expect(windows[0]?.minProcessMs).toBe(time.minProcessMs);
    expect(windows[0]?.signal?.aborted).toBe(false);
    expect(logger.contexts).toEqual([context]);
    expect(logger.lines).toEqual([{ level: 'INFO', message: 'fallback run ended', attributes: { ...summary } }]);
  });

  test('a run that cannot read the due processes fails loudly', async () => {
    const failure = new DependencyUnavailableError('tracking table', new Error('down'));
    const handler = createFallbackHandler({
      fallback: { run: async () => Promise.reject(failure) },
      logger: logger as unknown as Logger,
      time,
    });

    await expect(handler(event, context)).rejects.toBe(failure);
    expect(logger.lines).toEqual([
      {
        level: 'ERROR',
        message: 'fallback run failed: the due processes could not be read',
        attributes: { error: 'DependencyUnavailableError', dependencyFailure: 'transient' },
      },
    ]);
  });

  test('the fallback\'s time budget follows the processor\'s rule', () => {
    expect(time).toEqual({ functionTimeoutSeconds: 60, marginMs: 3000, minProcessMs: 5000, awsCalls: expect.any(Object) });
  });
});

describe('the log line of each check (the alarms filter on fallbackRecovered and trackingExpired)', () => {
  const line = (check: Parameters<ReturnType<typeof logCheck>>[0]) => {
    logCheck(logger as unknown as Logger)(check);
    return logger.lines;
  };

  test('a recovery: INFO with fallbackRecovered 1, the processId and the result code', () => {
    expect(line({ processId: ID, outcome: 'recovered', checks: 2, resultCode: 'PROCESS_RESULT_OK' })).toEqual([
      {
        level: 'INFO',
        message: 'finished process recovered by the fallback: its webhook never came',
        attributes: { processId: ID, fallbackRecovered: 1, checks: 2, resultCode: 'PROCESS_RESULT_OK' },
      },
    ]);
  });

  test('a recovery without a result code', () => {
    expect(line({ processId: ID, outcome: 'recovered', checks: 1 })[0]?.attributes).toStrictEqual({ processId: ID, fallbackRecovered: 1, checks: 1 });
  });

  test('an expiry: WARN with trackingExpired 1', () => {
    expect(line({ processId: ID, outcome: 'expired', checks: 5 })).toEqual([
      { level: 'WARN', message: 'tracked process expired without a result', attributes: { processId: ID, trackingExpired: 1, checks: 5 } },
    ]);
  });

  test.each(['not_found', 'removed'] as const)('%s: INFO with the status and code', (outcome) => {
    expect(line({ processId: ID, outcome, code: 'process_not_found' })).toEqual([
      {
        level: 'INFO',
        message: 'Unico does not have the process; tracking ended',
        attributes: { processId: ID, status: outcome, code: 'process_not_found' },
      },
    ]);
  });

  test('notified, and rescheduled after an unfinished answer: DEBUG only', () => {
    line({ processId: ID, outcome: 'notified', detectedBy: 'webhook' });
    line({ processId: ID, outcome: 'rescheduled', nextCheckAt: NOW, checks: 1 });
    expect(logger.lines.map((entry) => entry.level)).toEqual(['DEBUG', 'DEBUG']);
    expect(logger.lines[0]?.attributes).toEqual({ processId: ID, detectedBy: 'webhook' });
    expect(logger.lines[1]?.attributes).toEqual({ processId: ID, nextCheckAt: NOW, checks: 1 });
  });

  test('rescheduled after a transient failure: WARN with the code', () => {
    expect(line({ processId: ID, outcome: 'rescheduled', nextCheckAt: NOW, checks: 1, code: 'rate_limited' })).toEqual([
      {
        level: 'WARN',
        message: 'GetProcess failed for now; next check scheduled',
        attributes: { processId: ID, code: 'rate_limited', nextCheckAt: NOW },
      },
    ]);
  });

  test.each([
    ['credentials_refused', 'refused'],
    ['credentials_unusable', 'unusable'],
  ])('%s: ERROR with unicoCredentials %s', (code, state) => {
    const [entry] = line({ processId: ID, outcome: 'rescheduled', nextCheckAt: NOW, checks: 1, code });
    expect(entry?.level).toBe('ERROR');
    expect(entry?.attributes).toEqual({ processId: ID, code, unicoCredentials: state });
  });

  test('a dependency failure: WARN when it heals by itself, ERROR when it is permanent', () => {
    line({ processId: ID, outcome: 'failed', error: new DependencyUnavailableError('intake queue', new Error('x')) });
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client' });
    line({ processId: ID, outcome: 'failed', error: denied });
    line({ processId: ID, outcome: 'failed', error: 'text' });
    expect(logger.lines.map((entry) => [entry.level, entry.attributes['error'], entry.attributes['dependencyFailure']])).toEqual([
      ['WARN', 'DependencyUnavailableError', 'transient'],
      ['ERROR', 'AccessDeniedException', 'permanent'],
      ['WARN', 'text', 'transient'],
    ]);
  });
});
