/** Test doubles for unico-sim: a scripted HTTP sender, a recording sleep, a settable clock. */
import type { HttpOutcome, HttpRequest, HttpSender } from '../../../../tools/unico-sim/http-sender.ts';

export function answer(status: number, latencyMs = 10, body = ''): HttpOutcome {
  return { kind: 'answer', status, headers: {}, body, latencyMs };
}

export const timeout = (latencyMs = 5000): HttpOutcome => ({ kind: 'timeout', latencyMs });

export const refused = (): HttpOutcome => ({
  kind: 'network_error', reason: 'connection refused (ECONNREFUSED 127.0.0.1:9)', latencyMs: 1,
});

/** Answers with the given outcomes in order, and records every request. */
export function scriptedSender(outcomes: readonly HttpOutcome[]): { send: HttpSender; requests: HttpRequest[] } {
  const queue = [...outcomes];
  const requests: HttpRequest[] = [];
  const send: HttpSender = async (request) => {
    requests.push(request);
    const next = queue.shift();
    if (next === undefined) {
      throw new Error(`unexpected request ${requests.length} to ${request.url}`);
    }
    return next;
  };
  return { send, requests };
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { sleep: async (ms) => { waits.push(ms); }, waits };
}

export function settableClock(start = 0): { clock: () => number; set: (ms: number) => void } {
  let now = start;
  return { clock: () => now, set: (ms) => { now = ms; } };
}

/** A random source that cycles through the given values. */
export function cyclingRandom(values: readonly number[]): () => number {
  let index = 0;
  return () => {
    const value = values[index % values.length] ?? 0;
    index += 1;
    return value;
  };
}

/** Deterministic lower-case UUID v4 values: 00000000-0000-4000-8000-000000000001, ... */
export function sequentialUuids(): () => string {
  let n = 0;
  return () => {
    n += 1;
    return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  };
}
