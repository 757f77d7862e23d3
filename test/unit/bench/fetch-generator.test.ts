import { describe, expect, it } from '@jest/globals';
import { deliveryBodies } from '../../../bench/fetch-generator.ts';

// The plain-fetch generator's payloads: what it sends, not how fast (no timing here).
describe('the fetch generator’s deliveries', () => {
  it('sends every notification once and the given share of them a second time', () => {
    const bodies = deliveryBodies(500, 0.2);
    expect(bodies).toHaveLength(600);
    const times = new Map<string, number>();
    for (const body of bodies) times.set(body, (times.get(body) ?? 0) + 1);
    expect(times.size).toBe(500);
    expect([...times.values()].filter((n) => n > 1).reduce((sum, n) => sum + n - 1, 0)).toBe(100);
    const notification = JSON.parse(bodies[0]!) as Record<string, string>;
    expect(notification.processId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(notification.state).toBe('PROCESS_STATE_FINISHED');
  });

  it('sends no copy when the share is 0', () => {
    expect(new Set(deliveryBodies(50, 0)).size).toBe(50);
    expect(deliveryBodies(50, 0)).toHaveLength(50);
  });
});
