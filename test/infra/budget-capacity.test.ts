import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import {
  budgetCapacityProblem,
  ITEM_WRITE_UNITS_PER_SECOND,
  maxBudgetCallers,
  WORST_WRITES_PER_CALLER_PER_INTERVAL,
} from '../../lambdas/contracts/request-budget-capacity.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { receiverSettings } from '../../lib/receiver-props.ts';
import { UnicoWebhookReceiver } from '../../lib/unico-webhook-receiver.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

const SERVICE_ACCOUNT = 'svc@tenant.iam.acesso.io';

/** The problems the props give, or [] when they are valid. */
function problemsOf(processorMaxConcurrency: number, maxRequestsPerSecond?: number): readonly string[] {
  try {
    receiverSettings({
      processorMaxConcurrency,
      unico: { serviceAccount: SERVICE_ACCOUNT, ...(maxRequestsPerSecond === undefined ? {} : { maxRequestsPerSecond }) },
    });
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
}

describe('maxBudgetCallers', () => {
  it('is the item\'s 1,000 writes a second over 2 writes per emission interval per caller', () => {
    expect(ITEM_WRITE_UNITS_PER_SECOND).toBe(1000);
    expect(WORST_WRITES_PER_CALLER_PER_INTERVAL).toBe(2);
    expect(maxBudgetCallers(1)).toBe(500);
    expect(maxBudgetCallers(5)).toBe(100);
    expect(maxBudgetCallers(10)).toBe(50);
    expect(maxBudgetCallers(7)).toBe(71);
    expect(maxBudgetCallers(500)).toBe(1);
    expect(maxBudgetCallers(501)).toBe(0);
  });

  it('names the limit, the budget and the value given when it is passed, and nothing up to it', () => {
    expect(budgetCapacityProblem(50, 10)).toBeUndefined();
    expect(budgetCapacityProblem(51, 10)).toBe(
      'processorMaxConcurrency: at most 50 processors can share a Unico budget of 10 requests per second ' +
        '(its one item in the claims table takes 1000 writes a second, and each processor may cost 2 per request); got 51',
    );
  });
});

describe('the receiver refuses a processor concurrency its Unico budget cannot serve', () => {
  it('at 10 requests per second: 50 processors pass, 51 do not, with one problem', () => {
    expect(problemsOf(50, 10)).toEqual([]);
    expect(problemsOf(51, 10)).toEqual([budgetCapacityProblem(51, 10)]);
  });

  it('at the default share (5 per second): up to 100', () => {
    expect(problemsOf(100)).toEqual([]);
    expect(problemsOf(101)).toEqual([budgetCapacityProblem(101, 5)]);
  });

  it('without outcome fetching no budget is shared, so any valid concurrency passes', () => {
    expect(receiverSettings({ processorMaxConcurrency: 1000 }).processorMaxConcurrency).toBe(1000);
  });

  it('the construct throws at synth with the problem', () => {
    const stack = new Stack();
    expect(
      () => new UnicoWebhookReceiver(stack, 'Receiver', { processorMaxConcurrency: 200, unico: { serviceAccount: SERVICE_ACCOUNT, maxRequestsPerSecond: 10 } }),
    ).toThrow(/processorMaxConcurrency: at most 50 processors can share a Unico budget of 10 requests per second/);
  });

  it('the app refuses the same through the CDK context', () => {
    expect(() =>
      buildApp({ context: { unicoServiceAccount: SERVICE_ACCOUNT, unicoMaxRps: '10', processorMaxConcurrency: '60' } }),
    ).toThrow(/processorMaxConcurrency: at most 50 processors/);
  });
});
