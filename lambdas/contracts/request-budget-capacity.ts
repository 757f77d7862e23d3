/**
 * How many concurrent callers one request-budget record can serve (lambdas/core/unico/request-budget.ts).
 *
 * The record is one DynamoDB item, so one partition: at most 1,000 write units a second, and
 * every write to it, refused or not, costs one (the item is far below 1 KB).
 *
 * Writes per caller, worst case: 2 per emission interval. A caller writes to reserve a slot, and
 * a guess of the wrong kind from a stale view costs one refused write more; a refusal tells it the
 * record, so it does not write again until the record has changed, and the record's TAT changes
 * by one reservation each, which the budget hands out at most once per emission interval
 * (T >= 1000 / maxPerSecond). So a caller writes at most 2 * maxPerSecond times a second. (Measured
 * over dynalite, bench/budget-contention.ts: 1.0 write per grant at 5, 25 and 100 callers, about 3
 * per caller in its first turn; the steady state costs much less than the bound.) Reads (the pause
 * check before a slot, and refusals from a store that leaves the record out) draw on the
 * partition's separate 3,000 read units.
 */

/** Write units one DynamoDB partition, so one item, takes per second. */
export const ITEM_WRITE_UNITS_PER_SECOND = 1000;

/** The most writes a caller of the budget makes per emission interval (see above). */
export const WORST_WRITES_PER_CALLER_PER_INTERVAL = 2;

/** The most concurrent callers (processor invocations) one budget of `maxPerSecond` can serve. */
export function maxBudgetCallers(maxPerSecond: number): number {
  return Math.floor(ITEM_WRITE_UNITS_PER_SECOND / (WORST_WRITES_PER_CALLER_PER_INTERVAL * maxPerSecond));
}

/** The problem with `callers` sharing a budget of `maxPerSecond`, or undefined when there is none. */
export function budgetCapacityProblem(callers: number, maxPerSecond: number): string | undefined {
  const most = maxBudgetCallers(maxPerSecond);
  if (callers <= most) return undefined;
  return (
    `processorMaxConcurrency: at most ${most} processors can share a Unico budget of ${maxPerSecond} requests per second ` +
    `(its one item in the claims table takes ${ITEM_WRITE_UNITS_PER_SECOND} writes a second, and each processor may cost ` +
    `${WORST_WRITES_PER_CALLER_PER_INTERVAL} per request); got ${callers}`
  );
}
