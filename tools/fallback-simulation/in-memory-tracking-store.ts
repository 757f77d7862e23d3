import { dueShardOf } from '../../lambdas/contracts/tracking-table.ts';
import type { TrackedProcess, TrackingEnd, TrackingStore, TrackRequest } from '../../lambdas/core/tracking/ports.ts';

/**
 * The TrackingStore port in memory, with the DynamoDB adapter's semantics (conditional on the
 * item being tracked, the check brought forward only, due items per shard soonest first), so
 * the simulation can run thousands of processes through hundreds of runs in seconds.
 */
export class InMemoryTrackingStore implements TrackingStore {
  readonly #items = new Map<string, TrackedProcess>();

  async track(request: TrackRequest): Promise<'created' | 'exists'> {
    if (this.#items.has(request.processId)) return 'exists';
    this.#items.set(request.processId, {
      processId: request.processId,
      status: 'tracking',
      trackedAt: request.trackedAt,
      expiresAt: request.expiresAt,
      ...(request.clientReference === undefined ? {} : { clientReference: request.clientReference }),
      nextCheckAt: request.firstCheckAt,
      checks: 0,
    });
    return 'created';
  }

  async journeyFinished(processId: string, at: string, checkBy: number): Promise<'recorded' | 'unknown'> {
    const item = this.#items.get(processId);
    if (item === undefined) return 'unknown';
    const sooner = item.status === 'tracking' ? { nextCheckAt: Math.min(item.nextCheckAt ?? checkBy, checkBy) } : {};
    this.#items.set(processId, { ...item, journeyFinishedAt: at, ...sooner });
    return 'recorded';
  }

  async get(processId: string): Promise<TrackedProcess | undefined> {
    return this.#items.get(processId);
  }

  async due(shard: string, now: number, limit: number): Promise<readonly TrackedProcess[]> {
    return [...this.#items.values()]
      .filter((item) => item.status === 'tracking' && item.nextCheckAt !== undefined && item.nextCheckAt <= now && dueShardOf(item.processId) === shard)
      .sort((a, b) => (a.nextCheckAt ?? 0) - (b.nextCheckAt ?? 0))
      .slice(0, limit);
  }

  async reschedule(processId: string, nextCheckAt: number, checks: number, at: string): Promise<void> {
    const item = this.#items.get(processId);
    if (item?.status === 'tracking') this.#items.set(processId, { ...item, nextCheckAt, checks, lastCheckedAt: at });
  }

  async finish(processId: string, end: TrackingEnd): Promise<void> {
    const item = this.#items.get(processId);
    if (item?.status !== 'tracking') return;
    const { nextCheckAt: _leavesTheIndex, ...rest } = item;
    this.#items.set(processId, {
      ...rest,
      status: end.status,
      lastCheckedAt: end.at,
      ...(end.status === 'notified' || end.status === 'recovered' ? { notifiedAt: end.at } : {}),
      ...(end.detectedBy === undefined ? {} : { detectedBy: end.detectedBy }),
      ...(end.resultCode === undefined ? {} : { resultCode: end.resultCode }),
    });
  }

  all(): readonly TrackedProcess[] {
    return [...this.#items.values()];
  }
}
