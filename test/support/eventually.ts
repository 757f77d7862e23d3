import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every 200 ms until it holds or `withinMs` ends; returns whether it held. */
export async function eventually(condition: () => Promise<boolean> | boolean, withinMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + withinMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= giveUpAt) return false;
    await sleep(200);
  }
}
