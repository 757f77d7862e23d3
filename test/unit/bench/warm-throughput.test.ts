import { describe, expect, it } from '@jest/globals';
import { pbkdf2Sync } from 'node:crypto';
import { spread, warmThroughput, wireIntake, type WiredIntake } from '../../../bench/warm-intake.ts';

// How `npm run bench` turns paired rounds into its warm-intake figure: small rounds, and a
// handler made slower on purpose, so that the ratio has a known direction without timing a machine.
describe('the warm bench’s paired rounds', () => {
  /**
   * Our intake with a fixed amount of extra CPU work per delivery (PBKDF2 rounds: about 6 ms at
   * 40,000 here), or a status of its own. Work, not a wait on the clock: a busy machine that
   * preempts the process stretches both handlers' slices alike and cannot shrink the extra cost.
   */
  const slowed = (extraRounds: number, status?: number) => (): WiredIntake => {
    const intake = wireIntake('ours');
    return {
      ...intake,
      handle: async (event, context) => {
        if (extraRounds > 0) pbkdf2Sync('slowed', 'on purpose', extraRounds, 32, 'sha256');
        const answer = await intake.handle(event, context);
        return status === undefined ? answer : { ...answer, statusCode: status };
      },
    };
  };

  it('finds the slowed handler slower, on the wall clock and on CPU time, and the ratios are the rates’ quotient', async () => {
    const warm = await warmThroughput(2, 20, 5, 5, { ours: () => wireIntake('ours'), baseline: slowed(40_000) });
    expect(warm.rounds).toHaveLength(2);
    for (const round of warm.rounds) {
      expect(round.ratio).toBeCloseTo(round.ours / round.baseline, 10);
      expect(round.cpu.ratio).toBeCloseTo(round.cpu.ours / round.cpu.baseline, 10);
      expect(round.ratio).toBeGreaterThan(1.3);
      expect(round.cpu.ratio).toBeGreaterThan(1.3);
      expect(round.firstsRatio).toBeGreaterThan(1.3);
    }
    expect(warm.medianRatio).toBe(warm.spread.wall.median);
    expect(warm.spread.cpu.min).toBeLessThanOrEqual(warm.spread.cpu.max);
  });

  it('stops at the first slice with a delivery not answered 2xx', async () => {
    await expect(warmThroughput(1, 10, 5, 5, { ours: () => wireIntake('ours'), baseline: slowed(0, 503) })).rejects.toThrow(
      'baseline: 5 deliveries not answered 2xx',
    );
  });

  it('spread: the extremes and the quartiles, interpolated between ranks', () => {
    expect(spread([5, 1, 4, 2, 3])).toEqual({ min: 1, q1: 2, median: 3, q3: 4, max: 5 });
    expect(spread([1, 2, 3, 4])).toEqual({ min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
  });
});
