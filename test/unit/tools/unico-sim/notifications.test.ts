import { describe, expect, it } from '@jest/globals';
import {
  FLOWS, LAST_EVENTS, defaultNotificationSource, generateNotifications, planDuplicates,
} from '../../../../tools/unico-sim/notifications.ts';
import { cyclingRandom } from './fakes.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('notifications', () => {
  it('are Unico-shaped: lower-case UUID v4, finished, a known flow; some expired with lastEvent', () => {
    const notifications = generateNotifications(
      { count: 2000, processIds: [], expiredRatio: 0.1, state: 'PROCESS_STATE_FINISHED' }, defaultNotificationSource,
    );
    expect(new Set(notifications.map((n) => n.processId)).size).toBe(2000);
    for (const n of notifications) {
      expect(n.processId).toMatch(UUID_V4);
      expect(n.state).toBe('PROCESS_STATE_FINISHED');
      expect(FLOWS).toContain(n.flow);
      if (n.lastEvent !== undefined) {
        expect(Object.keys(n).sort()).toEqual(['flow', 'lastEvent', 'lastEventDescription', 'processId', 'state']);
        expect(n.lastEventDescription).toBe(LAST_EVENTS[n.lastEvent]);
      } else {
        expect(Object.keys(n).sort()).toEqual(['flow', 'processId', 'state']);
      }
    }
    const expired = notifications.filter((n) => n.lastEvent !== undefined).length;
    expect(expired).toBeGreaterThan(100);
    expect(expired).toBeLessThan(300);
    expect(new Set(notifications.map((n) => n.flow))).toEqual(new Set(FLOWS));
  });

  it('lists all 17 events of Unico with their descriptions', () => {
    expect(Object.keys(LAST_EVENTS)).toHaveLength(17);
    expect(LAST_EVENTS.EVENT_TYPE_SESSION_ENDED).toBe('Session ended by timeout or by new session created');
  });

  it('use the processIds given', () => {
    const ids = ['8263a268-5388-492a-bca2-28e1ff4a69f0', '8263a268-5388-492a-bca2-28e1ff4a69f1'];
    const notifications = generateNotifications(
      { count: 2, processIds: ids, expiredRatio: 0, state: 'PROCESS_STATE_FINISHED' }, defaultNotificationSource,
    );
    expect(notifications.map((n) => n.processId)).toEqual(ids);
  });
});

describe('duplicate plan', () => {
  it('gives round(count × ratio) distinct notifications one extra copy, alternating concurrent and later', () => {
    const plans = planDuplicates(10, 0.4, cyclingRandom([0.3, 0.7, 0.1, 0.9]));
    expect(plans).toHaveLength(4);
    expect(new Set(plans.map((p) => p.of)).size).toBe(4);
    expect(plans.every((p) => p.of >= 0 && p.of < 10)).toBe(true);
    expect(plans.filter((p) => p.timing === 'concurrent')).toHaveLength(2);
    expect(plans.filter((p) => p.timing === 'later')).toHaveLength(2);
  });

  it('none for ratio 0, every notification for ratio 1', () => {
    expect(planDuplicates(10, 0, Math.random)).toEqual([]);
    expect(planDuplicates(7, 1, Math.random).map((p) => p.of)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
