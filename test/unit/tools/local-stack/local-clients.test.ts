import { describe, expect, test } from '@jest/globals';
import { awsClientOptions } from '../../../../lambdas/adapters/aws/client-options.ts';
import { intakeTimeBudget } from '../../../../lambdas/contracts/time-budgets.ts';
import { localClientOptions } from '../../../../tools/local-stack/local-clients.ts';

/** Unico's maximum of deliveries in flight. */
const UNICO_MAX_IN_FLIGHT = 500;

describe('localClientOptions: the intake SDK settings as in AWS, with a pool for a whole burst', () => {
  const budget = intakeTimeBudget(5000);
  const options = localClientOptions(budget);

  test("keeps AWS's attempts and deadline-derived timeouts", () => {
    const aws = awsClientOptions(budget.awsCalls);
    expect(options.maxAttempts).toBe(aws.maxAttempts);
    expect(options.requestHandler).toMatchObject(aws.requestHandler);
  });

  test('opens a socket for every delivery in flight, and keeps them all open between bursts', () => {
    const agent = options.requestHandler.httpAgent;
    expect(agent.maxSockets).toBeGreaterThanOrEqual(UNICO_MAX_IN_FLIGHT);
    // Node's default of 256 idle sockets would close half of them after each burst of 500.
    expect(agent.maxFreeSockets).toBeGreaterThanOrEqual(UNICO_MAX_IN_FLIGHT);
  });
});
