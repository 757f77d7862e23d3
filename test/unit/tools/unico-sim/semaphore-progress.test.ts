import { describe, expect, it } from '@jest/globals';
import { ProgressLine, renderProgress } from '../../../../tools/unico-sim/progress.ts';
import { Semaphore } from '../../../../tools/unico-sim/semaphore.ts';
import { settableClock } from './fakes.ts';

describe('Semaphore', () => {
  it('never lets more than its limit run, and serves waiters in order', async () => {
    const slots = new Semaphore(3);
    const gates: Array<() => void> = [];
    const started: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) => slots.run(async () => {
      started.push(i);
      await new Promise<void>((resolve) => gates.push(resolve));
    }));
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(slots.inFlight).toBe(3);
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
      expect(slots.inFlight).toBeLessThanOrEqual(3);
    }
    await Promise.all(tasks);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(slots.maxInFlight).toBe(3);
    expect(slots.inFlight).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const slots = new Semaphore(1);
    await expect(slots.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('progress line', () => {
  const counts = { total: 100, done: 40, delivered: 38, failed: 2, attempts: 45, retries: 5, inFlight: 10 };

  it('renders the counts', () => {
    expect(renderProgress(counts, 2000)).toBe('unico-sim  40/100 done  ok 38  failed 2  retries 5  in flight 10  20/s  2.0 s');
  });

  it('writes nothing when stderr is not a terminal', () => {
    const written: string[] = [];
    const line = new ProgressLine((text) => written.push(text), false, settableClock().clock);
    line.update(counts, true);
    line.finish();
    expect(written).toEqual([]);
  });

  it('on a terminal redraws in place at most every 100 ms and clears the line at the end', () => {
    const written: string[] = [];
    const time = settableClock(0);
    const line = new ProgressLine((text) => written.push(text), true, time.clock);
    line.update(counts);
    time.set(50);
    line.update(counts);
    time.set(100);
    line.update(counts);
    line.finish();
    expect(written).toHaveLength(3);
    expect(written.every((text) => text.startsWith('\r'))).toBe(true);
    expect(written[2]).toBe('\r\x1b[2K');
  });
});
