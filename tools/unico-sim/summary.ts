/**
 * The figures of a `deliver` run: what Unico's side would see of the endpoint.
 */
import { describeExpectedResults, type ExpectedResults } from './local-unico.ts';
import type { AttemptRecord, DeliveryResult } from './retry.ts';

export interface LatencyFigures {
  /** Attempts measured (answered or timed out; network errors have no latency). */
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile of values sorted ascending: the smallest value with p% at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}

export function latencyFigures(values: readonly number[]): LatencyFigures | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

export interface DeliveryOutcome {
  readonly processId: string;
  readonly duplicate: boolean;
  readonly result: DeliveryResult;
}

/** Limits a pipeline sets on a run; a run past one fails (exit code 1). */
export interface DeliverGates {
  /** p99 latency per attempt, as a share of the timeout, at most this. */
  readonly maxP99Ratio?: number;
  /** Retries over the whole run, at most this. */
  readonly maxRetries?: number;
}

/** One gate as checked: the option, its limit, the run's value, and whether the run kept to it. */
export interface GateResult {
  readonly option: '--max-p99-ratio' | '--max-retries';
  readonly limit: number;
  /** null when there was nothing to measure (no attempt got an answer or timed out). */
  readonly actual: number | null;
  readonly ok: boolean;
}

export interface DeliverRun {
  readonly url: string;
  readonly notifications: number;
  readonly outcomes: readonly DeliveryOutcome[];
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly maxInFlight: number;
  readonly tokenRequests: number;
  readonly elapsedMs: number;
  readonly gates?: DeliverGates;
  readonly resultsQueue?: ExpectedResults;
}

export interface FailureReport {
  readonly processId: string;
  readonly attempts: number;
  /** The last attempt's status or error. */
  readonly last: string;
}

export interface DeliverSummary {
  /** Every delivery ended in a 2xx and every gate was kept. */
  readonly ok: boolean;
  readonly url: string;
  readonly notifications: number;
  readonly duplicates: number;
  readonly deliveries: number;
  readonly delivered: number;
  readonly firstTrySuccesses: number;
  /** Deliveries that needed more than one attempt. */
  readonly retriedDeliveries: number;
  /** Attempts beyond the first, over all deliveries. */
  readonly retries: number;
  readonly permanentFailures: number;
  readonly attempts: number;
  /** Every attempt's answer: {"202": n, "503": n, "timeout": n, "network_error": n, ...}. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly latencyMs: LatencyFigures | null;
  readonly timeoutMs: number;
  /** p99 latency as a share of the timeout (0.1 = 10 %), null when nothing was measured. */
  readonly p99OfTimeout: number | null;
  readonly concurrency: number;
  readonly maxInFlight: number;
  readonly tokenRequests: number;
  readonly elapsedMs: number;
  readonly deliveriesPerSecond: number;
  readonly distinctProcessIds: number;
  /** The distinct processIds sent, in order of first sending. */
  readonly processIds: readonly string[];
  /** The first permanent failures (at most 20), for a quick look. */
  readonly failures: readonly FailureReport[];
  /** The gates set on the command line, checked. */
  readonly gates: readonly GateResult[];
  /** Against the local stack: the results events to come, and the least time the budget needs. */
  readonly resultsQueue?: ExpectedResults;
}

const MAX_LISTED_FAILURES = 20;

export function summarize(run: DeliverRun): DeliverSummary {
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const processIds = new Set<string>();
  const failures: FailureReport[] = [];
  let firstTrySuccesses = 0;
  let retriedDeliveries = 0;
  let attempts = 0;
  let permanentFailures = 0;
  let duplicates = 0;

  for (const outcome of run.outcomes) {
    const tried = outcome.result.attempts;
    processIds.add(outcome.processId);
    attempts += tried.length;
    if (outcome.duplicate) {
      duplicates += 1;
    }
    if (tried.length > 1) {
      retriedDeliveries += 1;
    }
    if (outcome.result.delivered && tried.length === 1) {
      firstTrySuccesses += 1;
    }
    for (const attempt of tried) {
      byStatus[attempt.bucket] = (byStatus[attempt.bucket] ?? 0) + 1;
      if (attempt.latencyMs !== undefined) {
        latencies.push(attempt.latencyMs);
      }
    }
    if (!outcome.result.delivered) {
      permanentFailures += 1;
      if (failures.length < MAX_LISTED_FAILURES) {
        failures.push({ processId: outcome.processId, attempts: tried.length, last: describeAttempt(tried[tried.length - 1]) });
      }
    }
  }

  const latencyMs = latencyFigures(latencies);
  const deliveries = run.outcomes.length;
  const p99OfTimeout = latencyMs === null ? null : round(latencyMs.p99 / run.timeoutMs, 4);
  const retries = attempts - deliveries;
  const gates: GateResult[] = [];
  if (run.gates?.maxP99Ratio !== undefined) {
    const limit = run.gates.maxP99Ratio;
    gates.push({ option: '--max-p99-ratio', limit, actual: p99OfTimeout, ok: p99OfTimeout !== null && p99OfTimeout <= limit });
  }
  if (run.gates?.maxRetries !== undefined) {
    const limit = run.gates.maxRetries;
    gates.push({ option: '--max-retries', limit, actual: retries, ok: retries <= limit });
  }
  return {
    ok: permanentFailures === 0 && gates.every((gate) => gate.ok),
    url: run.url,
    notifications: run.notifications,
    duplicates,
    deliveries,
    delivered: deliveries - permanentFailures,
    firstTrySuccesses,
    retriedDeliveries,
    retries,
    permanentFailures,
    attempts,
    byStatus: sortedRecord(byStatus),
    latencyMs,
    timeoutMs: run.timeoutMs,
    p99OfTimeout,
    concurrency: run.concurrency,
    maxInFlight: run.maxInFlight,
    tokenRequests: run.tokenRequests,
    elapsedMs: round(run.elapsedMs),
    deliveriesPerSecond: run.elapsedMs > 0 ? round((deliveries * 1000) / run.elapsedMs) : 0,
    distinctProcessIds: processIds.size,
    processIds: [...processIds],
    failures,
    gates,
    ...(run.resultsQueue === undefined ? {} : { resultsQueue: run.resultsQueue }),
  };
}

/** 0 when every delivery ended in a 2xx and every gate was kept, else 1. */
export function deliverExitCode(summary: DeliverSummary): number {
  return summary.ok ? 0 : 1;
}

export function describeAttempt(attempt: AttemptRecord | undefined): string {
  if (attempt === undefined) {
    return 'no attempt';
  }
  if (attempt.status !== undefined) {
    return `HTTP ${attempt.status}`;
  }
  return attempt.reason === undefined || attempt.reason === attempt.bucket
    ? attempt.bucket
    : `${attempt.bucket}: ${attempt.reason}`;
}

export function formatSummaryText(summary: DeliverSummary): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(22)}${value}`);
  };
  lines.push(`unico-sim deliver -> ${summary.url}`);
  row('deliveries', `${summary.deliveries} (${summary.notifications} notifications + ${summary.duplicates} duplicates, `
    + `${summary.distinctProcessIds} distinct processIds)`);
  row('2xx on first try', `${summary.firstTrySuccesses}`);
  row('retried', `${summary.retriedDeliveries} deliveries, ${summary.retries} retries (${summary.attempts} attempts in all)`);
  row('permanent failures', `${summary.permanentFailures}`);
  row('answers by status', Object.entries(summary.byStatus).map(([key, n]) => `${key}: ${n}`).join(', ') || '-');
  const latency = summary.latencyMs;
  row('latency per attempt', latency === null
    ? '-'
    : `p50 ${ms(latency.p50)}  p95 ${ms(latency.p95)}  p99 ${ms(latency.p99)}  max ${ms(latency.max)}  `
      + `(timeout ${ms(summary.timeoutMs)}; p99 is ${percent(summary.p99OfTimeout ?? 0)} of it)`);
  row('max in flight', `${summary.maxInFlight} of ${summary.concurrency} allowed`);
  if (summary.tokenRequests > 0) {
    row('token requests', `${summary.tokenRequests}`);
  }
  row('elapsed', `${ms(summary.elapsedMs)} (${summary.deliveriesPerSecond} deliveries/s)`);
  for (const failure of summary.failures) {
    lines.push(`  failed ${failure.processId} after ${failure.attempts} attempts, last: ${failure.last}`);
  }
  if (summary.permanentFailures > summary.failures.length) {
    lines.push(`  ... and ${summary.permanentFailures - summary.failures.length} more`);
  }
  for (const gate of summary.gates) {
    row(`gate ${gate.option}`, `${gate.ok ? 'kept' : 'PASSED'}: ${describeGate(gate)}`);
  }
  const problems = [
    ...(summary.permanentFailures > 0 ? [`${summary.permanentFailures} of ${summary.deliveries} deliveries failed permanently`] : []),
    ...summary.gates.filter((gate) => !gate.ok).map((gate) => `${gate.option} ${gate.limit} passed (${describeGate(gate)})`),
  ];
  if (summary.resultsQueue !== undefined) row('results', describeExpectedResults(summary.resultsQueue));
  row('result', problems.length === 0
    ? `OK: every delivery answered 2xx${summary.gates.length > 0 ? ', every gate kept' : ''}`
    : `FAILED: ${problems.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

function describeGate(gate: GateResult): string {
  if (gate.actual === null) return 'nothing was measured';
  return gate.option === '--max-p99-ratio'
    ? `p99 is ${gate.actual} of the timeout, limit ${gate.limit}`
    : `${gate.actual} retries, limit ${gate.limit}`;
}

function ms(value: number): string {
  return value >= 10_000 ? `${round(value / 1000, 1)} s` : `${round(value, 1)} ms`;
}

function percent(share: number): string {
  return `${round(share * 100, 1)}%`;
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Status codes first in numeric order, then the named outcomes. */
function sortedRecord(record: Record<string, number>): Record<string, number> {
  const keys = Object.keys(record).sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    if (Number.isNaN(na) || Number.isNaN(nb)) {
      return Number.isNaN(na) === Number.isNaN(nb) ? a.localeCompare(b) : Number.isNaN(na) ? 1 : -1;
    }
    return na - nb;
  });
  const sorted: Record<string, number> = {};
  for (const key of keys) {
    sorted[key] = record[key] ?? 0;
  }
  return sorted;
}
