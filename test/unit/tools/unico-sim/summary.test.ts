import { describe, expect, it } from '@jest/globals';
import type { AttemptRecord, DeliveryResult } from '../../../../tools/unico-sim/retry.ts';
import {
  deliverExitCode, formatSummaryText, latencyFigures, percentile, summarize, type DeliveryOutcome,
} from '../../../../tools/unico-sim/summary.ts';

function attempt(n: number, bucket: AttemptRecord['bucket'], latencyMs: number | undefined): AttemptRecord {
  const status = /^\d+$/.test(bucket) ? Number(bucket) : undefined;
  return { attempt: n, waitedMs: 0, bucket, status, latencyMs, reason: status === undefined ? bucket : undefined };
}

function outcome(processId: string, duplicate: boolean, delivered: boolean, ...attempts: AttemptRecord[]): DeliveryOutcome {
  const result: DeliveryResult = { delivered, attempts };
  return { processId, duplicate, result };
}

describe('percentiles (nearest rank)', () => {
  it('on 1..100', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 95, 99, 100].map((p) => percentile(values, p))).toEqual([50, 95, 99, 100]);
  });

  it('on a small unsorted set', () => {
    expect(latencyFigures([50, 10, 40, 20, 30])).toEqual({ count: 5, p50: 30, p95: 50, p99: 50, max: 50 });
    expect(latencyFigures([7])).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    expect(latencyFigures([])).toBeNull();
  });

  it('on 1000 values with a slow tail', () => {
    const values = [...Array.from({ length: 980 }, () => 10), ...Array.from({ length: 15 }, () => 200), 900, 950, 1000, 4000, 5000];
    expect(latencyFigures(values)).toEqual({ count: 1000, p50: 10, p95: 10, p99: 200, max: 5000 });
  });
});

describe('summarize', () => {
  const run = (outcomes: DeliveryOutcome[]) => summarize({
    url: 'http://endpoint/webhooks/unico', notifications: 4, outcomes, timeoutMs: 5000,
    concurrency: 10, maxInFlight: 4, tokenRequests: 0, elapsedMs: 2000,
  });
  const a = '00000000-0000-4000-8000-00000000000a';
  const b = '00000000-0000-4000-8000-00000000000b';
  const c = '00000000-0000-4000-8000-00000000000c';
  const d = '00000000-0000-4000-8000-00000000000d';
  const outcomes = [
    outcome(a, false, true, attempt(1, '202', 10)),
    outcome(b, false, true, attempt(1, '503', 20), attempt(2, '202', 30)),
    outcome(c, false, false, attempt(1, '500', 40), attempt(2, 'timeout', 5000), attempt(3, 'network_error', undefined)),
    outcome(d, false, true, attempt(1, '202', 50)),
    outcome(a, true, true, attempt(1, '200', 60)),
  ];

  it('counts deliveries, first-try successes, retries and permanent failures', () => {
    const summary = run(outcomes);
    expect(summary).toMatchObject({
      ok: false, notifications: 4, duplicates: 1, deliveries: 5, delivered: 4, firstTrySuccesses: 3,
      retriedDeliveries: 2, retries: 3, attempts: 8, permanentFailures: 1, distinctProcessIds: 4,
      processIds: [a, b, c, d], deliveriesPerSecond: 2.5,
    });
    expect(summary.failures).toEqual([{ processId: c, attempts: 3, last: 'network_error' }]);
    expect(deliverExitCode(summary)).toBe(1);
  });

  it('counts answers by status, per attempt', () => {
    expect(run(outcomes).byStatus).toEqual({ 200: 1, 202: 3, 500: 1, 503: 1, timeout: 1, network_error: 1 });
  });

  it('measures latency per attempt, timeouts included, network errors not', () => {
    const summary = run(outcomes);
    expect(summary.latencyMs).toEqual({ count: 7, p50: 40, p95: 5000, p99: 5000, max: 5000 });
    expect(summary.p99OfTimeout).toBe(1);
  });

  it('exit code 0 when every delivery ended in a 2xx', () => {
    const summary = run([outcomes[0], outcomes[1], outcomes[3]].filter((o) => o !== undefined));
    expect(summary.ok).toBe(true);
    expect(summary.permanentFailures).toBe(0);
    expect(deliverExitCode(summary)).toBe(0);
  });

  it('writes a readable text summary', () => {
    const text = formatSummaryText(run(outcomes));
    expect(text).toContain('2xx on first try      3');
    expect(text).toContain('permanent failures    1');
    expect(text).toContain('answers by status     200: 1, 202: 3, 500: 1, 503: 1, network_error: 1, timeout: 1');
    expect(text).toContain('p50 40 ms  p95 5000 ms  p99 5000 ms  max 5000 ms  (timeout 5000 ms; p99 is 100% of it)');
    expect(text).toContain(`failed ${c} after 3 attempts`);
    expect(text).toMatch(/result +FAILED: 1 of 5 deliveries failed permanently/);
  });
});
