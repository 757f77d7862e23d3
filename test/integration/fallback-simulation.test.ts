import { describe, expect, test } from '@jest/globals';
import { DEFAULT_FALLBACK_SCHEDULE } from '../../lambdas/contracts/fallback-schedule.ts';
import { DEFAULT_SIMULATION, peakPerSecond, runFallbackSimulation } from '../../tools/fallback-simulation/simulation.ts';

/**
 * `npm run simulate:fallback` at a small size: the real intake and fallback over dynalite, fauxqs
 * and the Unico simulator, on a fake clock, with a share of the webhooks dropped.
 */
describe('the fallback simulation', () => {
  test('every finished process is notified or recovered, once, within the budget, and no webhook is followed by a call', async () => {
    const figures = await runFallbackSimulation({ ...DEFAULT_SIMULATION, processes: 300, seed: 7, schedule: DEFAULT_FALLBACK_SCHEDULE });

    // The plan is not degenerate: webhooks were dropped and the fallback had work to do.
    expect(figures.finished).toBeGreaterThan(200);
    expect(figures.recoveredByFallback).toBeGreaterThan(30);
    expect(figures.notifiedByWebhook).toBeGreaterThan(100);
    expect(figures.expired).toBeGreaterThan(0);
    expect(figures.notifiedByWebhook + figures.recoveredByFallback).toBe(figures.finished);

    expect(figures.lost).toBe(0);
    expect(figures.duplicatedClaims).toBe(0);
    expect(figures.duplicatedIntakeMessages).toBe(0);
    expect(figures.callsAfterWebhook).toBe(0);
    expect(figures.peakRequestsPerSecond).toBeGreaterThan(0);
    expect(figures.peakRequestsPerSecond).toBeLessThanOrEqual(DEFAULT_SIMULATION.maxRequestsPerSecond);
    expect(figures.callsPerRecovered).toBeGreaterThanOrEqual(1);
    expect(figures.callsPerRecovered).toBeLessThanOrEqual(3);
  }, 60_000);

  test('the peak is counted over any sliding second', () => {
    expect(peakPerSecond([])).toBe(0);
    expect(peakPerSecond([0, 999, 1000, 1998, 1999])).toBe(3);
    expect(peakPerSecond([5000, 0, 100, 200])).toBe(3);
  });
});
