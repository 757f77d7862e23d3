/**
 * `node bench/budget-contention.ts`: the shared Unico request budget under contention, over
 * dynalite. For 5, 25 and 100 concurrent callers (each its own budget, as separate Lambdas would
 * be, on one record), every caller acquires in a loop: first for one turn of the queue (each
 * caller served once), then for a few seconds that are measured. Printed per level:
 * grants per second, DynamoDB writes (UpdateItem) and reads (GetItem) per grant, counted by a
 * middleware on the clients (and, apart, the writes of the warm-up per caller: a cold caller's
 * first reservation), and the most grants used within any sliding 1,000 ms (over the whole
 * level, warm-up included), which must not pass the budget.
 *
 * The emulator returns the item a failed condition saw, as DynamoDB does, so a refused write
 * needs no read (reads/grant counts any). Settings: BUDGET_BENCH_SECONDS (per level, default
 * 4), BUDGET_BENCH_MAX_RPS (default 10), BUDGET_BENCH_CALLERS (default "5,25,100").
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbRequestBudget } from '../lambdas/adapters/dynamodb/dynamodb-rate-window-store.ts';
import { startDynamoDbEmulator } from '../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../tools/local-stack/local-stack.ts';
import { ensureClaimsTable } from '../tools/local-stack/resources.ts';

const SECONDS = Number(process.env.BUDGET_BENCH_SECONDS ?? 4);
const MAX_RPS = Number(process.env.BUDGET_BENCH_MAX_RPS ?? 10);
const LEVELS = (process.env.BUDGET_BENCH_CALLERS ?? '5,25,100').split(',').map(Number);

interface Counts {
  writes: number;
  reads: number;
}

export interface ContentionFigures {
  readonly callers: number;
  readonly grantsPerSecond: number;
  readonly writesPerGrant: number;
  readonly readsPerGrant: number;
  readonly peakGrantsInAnySecond: number;
  /** Writes per caller in the warm-up: each caller's first reservation, from a cold start. */
  readonly firstTurnWritesPerCaller: number;
}

/** The most times within any sliding 1,000 ms. */
function peakInAnySecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let first = 0, last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

function countingClient(endpointConfig: ReturnType<typeof emulatorClientConfig>, counts: Counts): DynamoDBClient {
  const client = new DynamoDBClient(endpointConfig);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') counts.writes += 1;
      if (context.commandName === 'GetItemCommand') counts.reads += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countBudgetCalls' },
  );
  return client;
}

async function level(
  endpointConfig: ReturnType<typeof emulatorClientConfig>,
  tableName: string,
  callers: number,
): Promise<ContentionFigures> {
  const counts: Counts = { writes: 0, reads: 0 };
  const key = `budget#bench#${callers}-${Date.now()}`;
  const clients = Array.from({ length: callers }, () => countingClient(endpointConfig, counts));
  const budgets = clients.map((client) => createDynamoDbRequestBudget({ client, tableName, key, maxPerSecond: MAX_RPS }));
  // Warm-up: one turn of the queue (every caller reserved and served once), so the figures are
  // the steady state, not the first reservations of callers that would not be served in time.
  const warmUpMs = callers * (budgets[0]?.intervalMs ?? 0);
  const measuredFrom = Date.now() + warmUpMs;
  const endsAt = measuredFrom + SECONDS * 1000;
  const grants: number[] = [];
  const stop = AbortSignal.timeout(endsAt - Date.now());
  let atStart: Counts | undefined;
  const startMeasuring = setTimeout(() => (atStart = { ...counts }), warmUpMs);

  await Promise.all(
    budgets.map(async (budget) => {
      while (Date.now() < endsAt) {
        try {
          await budget.acquire(stop);
        } catch {
          return; // the level's time is up
        }
        grants.push(Date.now());
      }
    }),
  );
  clearTimeout(startMeasuring);
  const atEnd = { ...counts };
  for (const client of clients) client.destroy();
  const measured = grants.filter((at) => at >= measuredFrom && at < endsAt).length;
  const start = atStart ?? { writes: 0, reads: 0 };
  return {
    callers,
    grantsPerSecond: measured / SECONDS,
    writesPerGrant: (atEnd.writes - start.writes) / Math.max(1, measured),
    readsPerGrant: (atEnd.reads - start.reads) / Math.max(1, measured),
    peakGrantsInAnySecond: peakInAnySecond(grants),
    firstTurnWritesPerCaller: start.writes / callers,
  };
}

const emulator = await startDynamoDbEmulator();
try {
  const endpointConfig = emulatorClientConfig(emulator);
  const setup = new DynamoDBClient(endpointConfig);
  const tableName = await ensureClaimsTable(setup);
  setup.destroy();
  console.log(`request budget over dynalite: ${MAX_RPS} per second, ${SECONDS} s per level`);
  console.log('callers  grants/s  writes/grant  reads/grant  peak in any 1,000 ms  first-turn writes/caller');
  let over = false;
  for (const callers of LEVELS) {
    const figures = await level(endpointConfig, tableName, callers);
    over ||= figures.peakGrantsInAnySecond > MAX_RPS;
    console.log(
      `${String(callers).padStart(7)}  ${figures.grantsPerSecond.toFixed(2).padStart(8)}  ${figures.writesPerGrant.toFixed(2).padStart(12)}  ${figures.readsPerGrant.toFixed(2).padStart(11)}  ${String(figures.peakGrantsInAnySecond).padStart(20)}  ${figures.firstTurnWritesPerCaller.toFixed(2).padStart(24)}`,
    );
  }
  if (over) {
    console.log(`a sliding second held more than ${MAX_RPS} grants`);
    process.exitCode = 1;
  }
} finally {
  await emulator.stop();
}
