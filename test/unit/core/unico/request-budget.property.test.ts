/**
 * The budget's promise, checked on random runs: many callers in several processes (one budget
 * each, one shared record), random arrivals, random store latencies (each call travels to the
 * record and back, and acts in between), random shares and guards, random pauses. Time is a fake
 * clock, so the interleavings come from the latencies, and a failure replays from its seed.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  GcraRequestBudget,
  InMemoryRateLimitStore,
  type RateLimitState,
  type RateLimitStore,
  type Reservation,
} from '../../../../lambdas/core/unico/request-budget.ts';
import { FakeTimeline } from '../../../support/unit/fake-timeline.ts';

const START = 1_800_000_000_000;
const MAX_LATENCY_MS = 120;

/** The shared record behind a network: each call waits, acts atomically, waits again. */
class DistantStore implements RateLimitStore {
  readonly inner = new InMemoryRateLimitStore();
  /** When each pause reached the record. */
  readonly pausesStored: { readonly at: number; readonly until: number }[] = [];
  readonly #timeline: FakeTimeline;
  readonly #latencies: readonly number[];
  readonly #returnsOldValues: boolean;
  #next = 0;

  constructor(timeline: FakeTimeline, latencies: readonly number[], returnsOldValues: boolean) {
    this.#timeline = timeline;
    this.#latencies = latencies;
    this.#returnsOldValues = returnsOldValues;
  }

  advance(intervalMs: number, fromMs: number, notAfterMs: number | undefined): Promise<Reservation> {
    return this.#call(async () => this.#refusal(await this.inner.advance(intervalMs, fromMs, notAfterMs)));
  }
  restart(slotMs: number, intervalMs: number): Promise<Reservation> {
    return this.#call(async () => this.#refusal(await this.inner.restart(slotMs, intervalMs)));
  }
  read(): Promise<RateLimitState | undefined> {
    return this.#call(() => this.inner.read());
  }
  extendPause(untilMs: number): Promise<void> {
    return this.#call(async () => {
      this.pausesStored.push({ at: this.#timeline.now(), until: untilMs });
      await this.inner.extendPause(untilMs);
    });
  }

  /** Like dynalite, a refusal may not carry the record. */
  #refusal(reservation: Reservation): Reservation {
    return reservation.reserved || this.#returnsOldValues ? reservation : { reserved: false, state: undefined };
  }
  async #call<T>(act: () => Promise<T>): Promise<T> {
    await this.#timeline.sleep(this.#latency());
    const result = await act();
    await this.#timeline.sleep(this.#latency());
    return result;
  }
  #latency(): number {
    const latency = this.#latencies[this.#next % this.#latencies.length] ?? 0;
    this.#next += 1;
    return latency;
  }
}

const scenario = fc.record({
  maxPerSecond: fc.integer({ min: 1, max: 12 }),
  guardMs: fc.integer({ min: 0, max: 100 }),
  processes: fc.integer({ min: 1, max: 4 }),
  callers: fc.array(fc.record({ arrival: fc.integer({ min: 0, max: 3000 }), process: fc.nat(3) }), { minLength: 1, maxLength: 60, size: 'max' }),
  pauses: fc.array(
    fc.record({ at: fc.integer({ min: 0, max: 3000 }), lengthMs: fc.integer({ min: 0, max: 2500 }), process: fc.nat(3) }),
    { maxLength: 2 },
  ),
  // A base latency and a spread around it: often steadier than the guard, sometimes not.
  latencies: fc
    .tuple(fc.integer({ min: 0, max: MAX_LATENCY_MS / 2 }), fc.integer({ min: 0, max: MAX_LATENCY_MS / 2 }))
    .chain(([base, spread]) => fc.array(fc.integer({ min: base, max: base + spread }), { minLength: 1, maxLength: 30 })),
  returnsOldValues: fc.boolean(),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function play({ maxPerSecond, guardMs, processes, callers, pauses, latencies, returnsOldValues }: Scenario) {
  const timeline = new FakeTimeline(START);
  const store = new DistantStore(timeline, latencies, returnsOldValues);
  const budgets = Array.from({ length: processes }, () => new GcraRequestBudget(store, { maxPerSecond, guardMs }, timeline));
  const budgetOf = (process: number) => budgets[process % processes] as GcraRequestBudget;
  const grants: { readonly startedAt: number; readonly grantedAt: number }[] = [];
  const pausesDone: { readonly doneAt: number; readonly until: number }[] = [];

  const work = [
    ...callers.map(
      ({ arrival, process }) =>
        new Promise<void>((resolve, reject) => {
          timeline.at(START + arrival, () => {
            budgetOf(process).acquire().then(() => {
              grants.push({ startedAt: START + arrival, grantedAt: timeline.now() });
              resolve();
            }, reject);
          });
        }),
    ),
    ...pauses.map(
      ({ at, lengthMs, process }) =>
        new Promise<void>((resolve, reject) => {
          timeline.at(START + at, () => {
            const until = START + at + lengthMs;
            budgetOf(process).pauseUntil(until).then(() => {
              pausesDone.push({ doneAt: timeline.now(), until });
              resolve();
            }, reject);
          });
        }),
    ),
  ];
  // Every caller is served when round trips differ by no more than the guard (each aims one round
  // trip ahead); with wilder latencies a fixed cycle of them may keep some from ever being served,
  // but what is granted must still be within the budget.
  const served = timeline.run(Promise.all(work), 20_000);
  if (2 * (Math.max(...latencies) - Math.min(...latencies)) <= guardMs) await served;
  else await served.catch(() => undefined);
  return { grants, pausesDone, pausesStored: store.pausesStored };
}

describe('GcraRequestBudget, on random runs', () => {
  test('no sliding 1,000 ms holds more than maxPerSecond grants; pauses are honoured; with round trips steady within the guard, everybody is served', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (run) => {
        const { grants, pausesDone, pausesStored } = await play(run);

        const jitter = 2 * (Math.max(...run.latencies) - Math.min(...run.latencies));
        if (jitter <= run.guardMs) expect(grants).toHaveLength(run.callers.length);
        // Measured when the grants are used: when acquire resolves.
        const times = grants.map(({ grantedAt }) => grantedAt).sort((a, b) => a - b);
        for (let index = 0; index + run.maxPerSecond < times.length; index += 1) {
          const first = times[index] ?? 0;
          const next = times[index + run.maxPerSecond] ?? 0;
          if (next - first < 1000) throw new Error(`${run.maxPerSecond + 1} grants within ${next - first} ms, from ${first - START}`);
        }
        // Nothing asked for after a pause was stored is granted before it ends...
        for (const { doneAt, until } of pausesDone) {
          for (const { startedAt, grantedAt } of grants) {
            if (startedAt >= doneAt && grantedAt < until) throw new Error(`asked at ${startedAt - START}, granted at ${grantedAt - START} in a pause until ${until - START}`);
          }
        }
        // ...nor anything else, once the slots checked before the pause reached the record are past
        // (a check goes a guard and a round trip before its slot, the grant is used up to a guard
        // after it, and the answer to a write travels up to a latency).
        for (const { at, until } of pausesStored) {
          const from = at + 2 * run.guardMs + 3 * MAX_LATENCY_MS;
          const inside = grants.filter(({ grantedAt }) => grantedAt >= from && grantedAt < until);
          expect(inside).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
