/**
 * The Unico client with the shared request budget, as several Lambdas would run it: each
 * "Lambda" has its own DynamoDB client, budget and Unico client (so its own token), and they
 * share one budget record in dynalite and one simulated Unico. What Unico saw is read from the
 * simulator's statistics and request log.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbRequestBudget, DynamoDbRateLimitStore } from '../../lambdas/adapters/dynamodb/dynamodb-rate-window-store.ts';
import { UnicoApiClient } from '../../lambdas/adapters/unico/unico-api-client.ts';
import { UnicoTransientError } from '../../lambdas/core/unico/process-fetcher.ts';
import { GcraRequestBudget, InMemoryRateLimitStore, type RateLimitStore } from '../../lambdas/core/unico/request-budget.ts';
import { startDynamoDbEmulator, type RunningEmulator } from '../../tools/local-stack/emulators.ts';
import { emulatorClientConfig } from '../../tools/local-stack/local-stack.ts';
import { ensureClaimsTable } from '../../tools/local-stack/resources.ts';
import { startUnicoSimulator, type RunningUnicoSimulator } from '../../tools/unico-sim/serve/simulator.ts';

const PROCESS_IDS = [
  '7b0e2c4a-1d3f-4a5b-9c6d-000000000001',
  '7b0e2c4a-1d3f-4a5b-9c6d-000000000002',
  '7b0e2c4a-1d3f-4a5b-9c6d-000000000003',
  '7b0e2c4a-1d3f-4a5b-9c6d-000000000004',
];

let emulator: RunningEmulator;
let tableName: string;
const dynamoClients: DynamoDBClient[] = [];
let keyCounter = 0;

beforeAll(async () => {
  emulator = await startDynamoDbEmulator();
  const setup = dynamoClient();
  tableName = await ensureClaimsTable(setup);
});

afterAll(async () => {
  for (const client of dynamoClients) client.destroy();
  await emulator?.stop();
});

function dynamoClient(): DynamoDBClient {
  const client = new DynamoDBClient(emulatorClientConfig(emulator));
  dynamoClients.push(client);
  return client;
}

/** A budget record of its own for each test. */
function freshKey(): string {
  keyCounter += 1;
  return `budget#unico#test-${keyCounter}-${Date.now()}`;
}

function storeFor(key: string): DynamoDbRateLimitStore {
  return new DynamoDbRateLimitStore({ client: dynamoClient(), tableName, key });
}

/** One "Lambda": its own DynamoDB client and budget over the shared record, its own Unico client. */
function lambda(sim: RunningUnicoSimulator, key: string, maxPerSecond: number) {
  const budget = createDynamoDbRequestBudget({ client: dynamoClient(), tableName, key, maxPerSecond });
  const client = new UnicoApiClient({
    contract: sim.contract,
    apiBaseUrl: sim.apiBaseUrl,
    identityUrl: sim.identityUrl,
    serviceAccount: sim.serviceAccount,
    privateKeyPem: sim.privateKeyPem,
    budget,
    budgetWaitMs: 60_000,
    requestTimeoutMs: 10_000,
  });
  return { budget, client };
}

async function withSimulator<T>(work: (sim: RunningUnicoSimulator) => Promise<T>): Promise<T> {
  const sim = await startUnicoSimulator();
  try {
    for (const id of PROCESS_IDS) {
      const response = await fetch(`${sim.adminUrl}/processes/${id}`, { method: 'PUT', body: JSON.stringify({ id, state: 'PROCESS_STATE_FINISHED', result: 'PROCESS_RESULT_OK' }) });
      expect(response.status).toBe(204);
    }
    return await work(sim);
  } finally {
    await sim.stop();
  }
}

async function simStats(sim: RunningUnicoSimulator) {
  return (await (await fetch(`${sim.adminUrl}/stats`)).json()) as {
    tokenRequests: number; getProcessRequests: number; peakRequestsPerSecond: number; peakRequestsInAnySecond: number; byStatus: Record<string, number>;
  };
}

async function simRequests(sim: RunningUnicoSimulator) {
  return ((await (await fetch(`${sim.adminUrl}/requests`)).json()) as { requests: Array<{ at: number; kind: string; status?: number }> }).requests;
}

/** The most grants within any sliding 1,000 ms. */
function peakInAnySecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let first = 0, last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

describe('the budget record in DynamoDB (dynalite)', () => {
  test('advance joins a queue up to a limit; restart needs an idle record; a pause refuses both until it ends and never shortens', async () => {
    const store = storeFor(freshKey());
    const at = (ms: number) => 1_900_000_000_000 + ms;

    expect(await store.advance(100, at(0), undefined)).toEqual({ reserved: false, state: undefined });
    expect(await store.restart(at(0), 100)).toEqual({ reserved: true, slotMs: at(0), state: { tat: at(100), pausedUntil: 0 } });
    expect(await store.advance(100, at(50), at(100))).toEqual({ reserved: true, slotMs: at(100), state: { tat: at(200), pausedUntil: 0 } });
    expect((await store.advance(100, at(50), at(199))).reserved).toBe(false);
    expect((await store.restart(at(199), 100)).reserved).toBe(false);
    expect(await store.read()).toEqual({ tat: at(200), pausedUntil: 0 });

    await store.extendPause(at(3000));
    await store.extendPause(at(1500));
    expect((await store.advance(100, at(0), undefined)).reserved).toBe(false);
    expect((await store.restart(at(2999), 100)).reserved).toBe(false);
    expect((await store.restart(at(3000), 100)).reserved).toBe(true);
    expect(await store.read()).toEqual({ tat: at(3100), pausedUntil: at(3000) });
  });

  test('behaves as the in-memory model, operation by operation', async () => {
    const base = Date.now();
    const operation = fc.oneof(
      { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), from: fc.integer({ min: 0, max: 3000 }), notAfter: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('restart' as const), slot: fc.integer({ min: 0, max: 3000 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('pause' as const), until: fc.integer({ min: 0, max: 3000 }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25, size: 'max' }), fc.integer({ min: 1, max: 400 }), async (operations, interval) => {
        const stores: RateLimitStore[] = [storeFor(freshKey()), new InMemoryRateLimitStore()];
        for (const step of operations) {
          const outcomes = await Promise.all(stores.map(async (store) => {
            switch (step.op) {
              case 'advance': {
                const reservation = await store.advance(interval, base + step.from, step.notAfter === undefined ? undefined : base + step.notAfter);
                return reservation.reserved ? reservation : { reserved: false };
              }
              case 'restart': {
                const reservation = await store.restart(base + step.slot, interval);
                return reservation.reserved ? reservation : { reserved: false };
              }
              case 'pause':
                await store.extendPause(base + step.until);
                return undefined;
            }
          }));
          expect(outcomes[0]).toEqual(outcomes[1]);
          const [stored, modelled] = await Promise.all(stores.map((store) => store.read()));
          expect(stored).toEqual(modelled);
        }
      }),
      { numRuns: 30 },
    );
  });

  test('four budgets on one record, 40 acquires at once, 8 per second: never more than 8 grants in any 1,000 ms', async () => {
    const key = freshKey();
    const budgets = Array.from({ length: 4 }, () => new GcraRequestBudget(storeFor(key), { maxPerSecond: 8 }));
    const granted: number[] = [];

    await Promise.all(Array.from({ length: 40 }, (_, index) => budgets[index % 4]?.acquire().then(() => granted.push(Date.now()))));

    expect(granted).toHaveLength(40);
    expect(peakInAnySecond(granted)).toBeLessThanOrEqual(8);
    // Slots ceil((1000 + guard) / 8) ms apart: at least 39 intervals (about 5.4 s) from first to last.
    // How much longer is the machine's doing (two test files share two cores), so the upper side
    // is left to npm run bench, where no other test runs.
    const interval = budgets[0]?.intervalMs ?? 0;
    expect(interval).toBe(138);
    expect(Math.max(...granted) - Math.min(...granted)).toBeGreaterThanOrEqual(39 * interval - 100);
  }, 20_000);

  test('a limit the queue passes: rejected at once with when to come back', async () => {
    const key = freshKey();
    const [filler, late] = [createDynamoDbRequestBudget({ client: dynamoClient(), tableName, key, maxPerSecond: 2 }), createDynamoDbRequestBudget({ client: dynamoClient(), tableName, key, maxPerSecond: 2 })];
    await filler?.acquire();
    const pending = filler?.acquire(); // its slot: 525 ms after the first
    const asked = Date.now();

    const error = await late?.acquire(undefined, asked + 100).then(() => undefined, (caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'BudgetWaitTooLongError' });
    expect((error as { retryAtMs: number }).retryAtMs).toBeGreaterThan(asked + 100);
    expect(Date.now() - asked).toBeLessThan(400);
    await pending;
  });
});

describe('the Unico client under the shared budget, against the simulator', () => {
  test('four Lambdas, 32 GetProcess calls at once, a budget of 8 per second: Unico never sees more than 8 in a second', async () => {
    await withSimulator(async (sim) => {
      const key = freshKey();
      const lambdas = Array.from({ length: 4 }, () => lambda(sim, key, 8));

      const fetched = await Promise.all(
        Array.from({ length: 32 }, (_, index) => lambdas[index % 4]?.client.getProcess(PROCESS_IDS[index % PROCESS_IDS.length] ?? '')),
      );

      expect(fetched.every((answer) => answer?.resultCode === 'PROCESS_RESULT_OK')).toBe(true);
      const stats = await simStats(sim);
      expect(stats).toMatchObject({ tokenRequests: 4, getProcessRequests: 32, byStatus: { 200: 32 } });
      expect(stats.peakRequestsPerSecond).toBeLessThanOrEqual(8);
      expect(stats.peakRequestsInAnySecond).toBeLessThanOrEqual(8);
    });
  }, 20_000);

  test('one token request for 40 GetProcess calls of one Lambda', async () => {
    await withSimulator(async (sim) => {
      const { client } = lambda(sim, freshKey(), 20);

      await Promise.all(Array.from({ length: 40 }, (_, index) => client.getProcess(PROCESS_IDS[index % PROCESS_IDS.length] ?? '')));

      expect(await simStats(sim)).toMatchObject({ tokenRequests: 1, getProcessRequests: 40 });
      expect(client.tokenRequests).toBe(1);
    });
  });

  test('a 429 storm with Retry-After is honoured by every Lambda, also those that never saw a 429', async () => {
    await withSimulator(async (sim) => {
      const key = freshKey();
      const lambdas = Array.from({ length: 3 }, () => lambda(sim, key, 10));
      await Promise.all(lambdas.map(({ client }) => client.getProcess(PROCESS_IDS[0] ?? '')));
      const bystander = lambda(sim, key, 10);

      // The storm: every call of the three gets a 429 asking for 2 s.
      await fetch(`${sim.adminUrl}/faults`, { method: 'POST', body: JSON.stringify({ status: 429, retryAfter: 2, count: 3 }) });
      const storm = await Promise.all(lambdas.map(({ client }) => client.getProcess(PROCESS_IDS[1] ?? '').then(() => 'ok', (error: unknown) => error)));
      expect(storm.every((error) => error instanceof UnicoTransientError && error.status === 429 && error.retryAfterMs === 2000)).toBe(true);
      const pausedUntil = (await storeFor(key).read())?.pausedUntil ?? 0;
      const beforeResume = (await simRequests(sim)).length;

      // Afterwards every caller, the bystander included, waits for the pause to end.
      await Promise.all([...lambdas, bystander].flatMap(({ client }) => PROCESS_IDS.map((id) => client.getProcess(id))));

      const requests = await simRequests(sim);
      const lastStormAnswer = Math.max(...requests.filter((request) => request.status === 429).map((request) => request.at));
      expect(pausedUntil).toBeGreaterThanOrEqual(lastStormAnswer + 2000);
      const resumed = requests.slice(beforeResume);
      expect(resumed).toHaveLength(17); // 16 GetProcess and the bystander's token
      expect(resumed.every((request) => request.at >= pausedUntil)).toBe(true);
      expect((await simStats(sim)).byStatus).toEqual({ 200: 19, 429: 3 });
    });
  }, 20_000);
});
