import type { AcceptanceOutcome, AcceptanceRequest } from '../acceptance/accept-notification.ts';
import type { DetectionSource } from '../acceptance/ports.ts';
import { Deadline, systemClock, type Clock } from '../deadline.ts';
import { UnicoPermanentError, UnicoTransientError, type FetchedProcess, type ProcessFetcher } from '../unico/process-fetcher.ts';
import { TRACKING_TABLE } from '../../contracts/tracking-table.ts';
import { nextCheckDelaySeconds, type FallbackSchedule } from '../../contracts/fallback-schedule.ts';
import type { LedgerClaim, NotificationLedger, TrackedProcess, TrackingEnd, TrackingStore } from './ports.ts';

/** The state a recovered notification carries: the one Unico's webhook sends for a finished process. */
export const RECOVERED_STATE = 'PROCESS_STATE_FINISHED';
/** The flow a recovered notification carries when Unico's answer has none the webhook schema allows. */
export const UNKNOWN_FLOW = 'unknown';
/** The webhook schema's flow rule (lambdas/core/notification.ts), so a recovery passes the same checks. */
const WEBHOOK_FLOW = /^[A-Za-z0-9_.-]{1,64}$/;
/** Due processes read per query of one shard. */
export const DEFAULT_DUE_PAGE_SIZE = 25;

/** What one run may spend, from the invocation's remaining time (the processor's rule). */
export interface FallbackRunWindow {
  /** Epoch ms by which the run must be over: the invocation's end less a margin. */
  readonly endsAt: number;
  /** A process is started only when at least this much time is left; the rest wait for the next run. */
  readonly minProcessMs: number;
  /** Aborts calls still running at the run's end. */
  readonly signal?: AbortSignal;
}

/** How the check of one due process ended. */
export type ProcessCheck =
  | { readonly processId: string; readonly outcome: 'recovered'; readonly resultCode?: string; readonly checks: number }
  | { readonly processId: string; readonly outcome: 'notified'; readonly detectedBy?: DetectionSource }
  | { readonly processId: string; readonly outcome: 'expired'; readonly checks: number }
  | { readonly processId: string; readonly outcome: 'not_found' | 'removed'; readonly code: string }
  | { readonly processId: string; readonly outcome: 'rescheduled'; readonly nextCheckAt: number; readonly checks: number; readonly code?: string }
  /** A dependency failed: the process stays due and the next run tries again. */
  | { readonly processId: string; readonly outcome: 'failed'; readonly error: unknown };

export interface FallbackRunSummary {
  /** Due processes looked at. */
  checked: number;
  /** Found final by GetProcess and put on the intake queue by this run. */
  recovered: number;
  /** Already notified (a claim exists): untracked without calling Unico. */
  notified: number;
  expired: number;
  /** GetProcess answered 404 (or another answer retrying cannot change). */
  notFound: number;
  /** GetProcess answered 410: removed by Unico's retention. */
  removed: number;
  rescheduled: number;
  /** A dependency failed; left due. */
  failed: number;
  /** GetProcess calls made. */
  unicoCalls: number;
  /** The run ended before every due process was looked at (time nearly spent, or Unico's budget). */
  stoppedEarly: boolean;
  /** The shared request budget had no slot before the run's end: no more calls to Unico this run. */
  budgetExhausted: boolean;
}

/** The part of NotificationAcceptor the fallback uses: the webhook's own claim + enqueue. */
export interface Acceptor {
  accept(request: AcceptanceRequest): Promise<AcceptanceOutcome>;
}

export interface FallbackRunDependencies {
  readonly tracking: TrackingStore;
  readonly ledger: NotificationLedger;
  readonly fetcher: ProcessFetcher;
  readonly acceptor: Acceptor;
  readonly schedule: FallbackSchedule;
  readonly clock?: Clock;
  /** @default DEFAULT_DUE_PAGE_SIZE */
  readonly pageSize?: number;
  /** Told of every process looked at, as soon as its check ended (for the log lines). */
  readonly onCheck?: (check: ProcessCheck) => void;
}

class BudgetExhausted extends Error {
  override readonly name = 'BudgetExhausted';
}

/**
 * One run of the fallback: every due process of every shard, looked at once. A notified process
 * ends its tracking without a call to Unico; the others get one GetProcess each, and a final one
 * goes through the webhook's own claim + enqueue (NotificationAcceptor), so it is reported as
 * recovered only once it is on the intake queue, and reaches the queue once however the webhook
 * and the fallback race.
 *
 * Shards are read in turns, a page each, so that a short run does not starve the last shard.
 */
export class FallbackRun {
  readonly #deps: FallbackRunDependencies;
  readonly #clock: Clock;
  readonly #pageSize: number;

  constructor(dependencies: FallbackRunDependencies) {
    this.#deps = dependencies;
    this.#clock = dependencies.clock ?? systemClock;
    this.#pageSize = dependencies.pageSize ?? DEFAULT_DUE_PAGE_SIZE;
  }

  async run(window: FallbackRunWindow): Promise<FallbackRunSummary> {
    const summary: FallbackRunSummary = {
      checked: 0,
      recovered: 0,
      notified: 0,
      expired: 0,
      notFound: 0,
      removed: 0,
      rescheduled: 0,
      failed: 0,
      unicoCalls: 0,
      stoppedEarly: false,
      budgetExhausted: false,
    };
    // A process left due after a failure comes back in the next page: looked at once per run.
    const seen = new Set<string>();
    let shards = Array.from({ length: TRACKING_TABLE.dueShards }, (_, shard) => String(shard));
    while (shards.length > 0) {
      const stillDue: string[] = [];
      for (const shard of shards) {
        if (this.#timeNearlySpent(window)) {
          summary.stoppedEarly = true;
          return summary;
        }
        const page = await this.#deps.tracking.due(shard, this.#clock(), this.#pageSize, window.signal);
        const fresh = page.filter((process) => !seen.has(process.processId));
        for (const process of fresh) {
          if (this.#timeNearlySpent(window)) {
            summary.stoppedEarly = true;
            return summary;
          }
          seen.add(process.processId);
          try {
            this.#count(summary, await this.#check(process, window, summary));
          } catch {
            // Only BudgetExhausted leaves #check: every other failure is that process's outcome.
            summary.budgetExhausted = true;
            summary.stoppedEarly = true;
            return summary;
          }
        }
        // A full page may hide more due processes; a page with nothing new means only those left due remain.
        if (page.length === this.#pageSize && fresh.length > 0) stillDue.push(shard);
      }
      shards = stillDue;
    }
    return summary;
  }

  #timeNearlySpent(window: FallbackRunWindow): boolean {
    return window.endsAt - this.#clock() < window.minProcessMs;
  }

  #count(summary: FallbackRunSummary, check: ProcessCheck): void {
    summary.checked += 1;
    switch (check.outcome) {
      case 'recovered':
        summary.recovered += 1;
        break;
      case 'notified':
        summary.notified += 1;
        break;
      case 'expired':
        summary.expired += 1;
        break;
      case 'not_found':
        summary.notFound += 1;
        break;
      case 'removed':
        summary.removed += 1;
        break;
      case 'rescheduled':
        summary.rescheduled += 1;
        break;
      case 'failed':
        summary.failed += 1;
        break;
    }
    this.#deps.onCheck?.(check);
  }

  /** Looks at one due process; a failure of our own dependencies leaves it due for the next run. */
  async #check(process: TrackedProcess, window: FallbackRunWindow, summary: FallbackRunSummary): Promise<ProcessCheck> {
    const { processId } = process;
    try {
      // The ledger first, also for an expired process: one notified late in its life is no loss.
      const claim = await this.#deps.ledger.anyClaim(processId, window.signal);
      if (claim !== undefined) return await this.#alreadyClaimed(process, claim, window);
      if (Date.parse(process.expiresAt) <= this.#clock()) {
        await this.#finish(processId, { status: 'expired' }, window);
        return { processId, outcome: 'expired', checks: process.checks };
      }
      let fetched: FetchedProcess;
      try {
        summary.unicoCalls += 1;
        fetched = await this.#deps.fetcher.getProcess(processId, window.signal, window.endsAt);
      } catch (error) {
        return await this.#unicoFailed(process, error, window);
      }
      const checks = process.checks + 1;
      if (!fetched.final) return await this.#reschedule(process, checks, 0, window);
      return await this.#recover(process, fetched, checks, window);
    } catch (error) {
      if (error instanceof BudgetExhausted) throw error;
      return { processId, outcome: 'failed', error };
    }
  }

  /**
   * A claim is there: the notification was detected before, by a webhook or an earlier run, and
   * no call to Unico is needed. A confirmed claim is on its way. An unconfirmed one may never
   * have reached the queue (a webhook answered 503 until Unico gave up; a run that died after its
   * claim): it is sent again through the acceptor, from what the claim holds, under the same
   * deduplication id, so nothing is lost and nothing is published twice.
   */
  async #alreadyClaimed(process: TrackedProcess, claim: LedgerClaim, window: FallbackRunWindow): Promise<ProcessCheck> {
    const { processId } = process;
    if (!claim.confirmed) {
      await this.#deps.acceptor.accept({
        notification: {
          processId,
          state: claim.state,
          flow: claim.flow ?? UNKNOWN_FLOW,
          ...(claim.lastEvent !== undefined ? { lastEvent: claim.lastEvent } : {}),
        },
        detectedBy: claim.detectedBy,
        receivedAt: claim.receivedAt,
        deadline: new Deadline(window.endsAt, this.#clock),
      });
    }
    if (claim.detectedBy === 'fallback') {
      await this.#finish(processId, { status: 'recovered', detectedBy: 'fallback' }, window);
      return { processId, outcome: 'recovered', checks: process.checks };
    }
    await this.#finish(processId, { status: 'notified', detectedBy: claim.detectedBy }, window);
    return { processId, outcome: 'notified', detectedBy: claim.detectedBy };
  }

  async #recover(process: TrackedProcess, fetched: FetchedProcess, checks: number, window: FallbackRunWindow): Promise<ProcessCheck> {
    const { processId } = process;
    const receivedAt = new Date(this.#clock()).toISOString();
    const outcome = await this.#deps.acceptor.accept({
      notification: { processId, state: RECOVERED_STATE, flow: flowOf(fetched) },
      detectedBy: 'fallback',
      receivedAt,
      deadline: new Deadline(window.endsAt, this.#clock),
    });
    const resultCode = fetched.resultCode;
    const code = resultCode === undefined ? {} : { resultCode };
    // `resent`/`duplicate`: a claim was there first; whoever made it detected the notification.
    const firstBy = outcome === 'accepted' ? 'fallback' : (await this.#deps.ledger.anyClaim(processId, window.signal))?.detectedBy;
    if (firstBy === 'fallback') {
      await this.#finish(processId, { status: 'recovered', detectedBy: 'fallback', ...code }, window);
      return { processId, outcome: 'recovered', checks, ...code };
    }
    await this.#finish(processId, { status: 'notified', ...(firstBy === undefined ? {} : { detectedBy: firstBy }), ...code }, window);
    return { processId, outcome: 'notified', ...(firstBy === undefined ? {} : { detectedBy: firstBy }) };
  }

  async #unicoFailed(process: TrackedProcess, error: unknown, window: FallbackRunWindow): Promise<ProcessCheck> {
    const { processId } = process;
    if (error instanceof UnicoPermanentError) {
      const status = error.status === 410 ? 'removed' : 'not_found';
      await this.#finish(processId, { status, resultCode: error.code }, window);
      return { processId, outcome: status, code: error.code };
    }
    if (!(error instanceof UnicoTransientError)) throw error;
    // The call was never made: the process keeps its place for the next run.
    if (error.code === 'budget_wait') throw new BudgetExhausted();
    return this.#reschedule(process, process.checks + 1, error.retryAfterMs ?? 0, window, error.code);
  }

  async #reschedule(
    process: TrackedProcess,
    checks: number,
    atLeastMs: number,
    window: FallbackRunWindow,
    code?: string,
  ): Promise<ProcessCheck> {
    const now = this.#clock();
    const backoffMs = nextCheckDelaySeconds(this.#deps.schedule, checks) * 1000;
    // No check after the expiry: the next run at or after it ends the tracking.
    const nextCheckAt = Math.min(now + Math.max(backoffMs, atLeastMs), Date.parse(process.expiresAt));
    await this.#deps.tracking.reschedule(process.processId, nextCheckAt, checks, new Date(now).toISOString(), window.signal);
    return { processId: process.processId, outcome: 'rescheduled', nextCheckAt, checks, ...(code === undefined ? {} : { code }) };
  }

  async #finish(processId: string, end: Omit<TrackingEnd, 'at'>, window: FallbackRunWindow): Promise<void> {
    await this.#deps.tracking.finish(processId, { ...end, at: new Date(this.#clock()).toISOString() }, window.signal);
  }
}

/** Web & SDK's `process.flow` when the webhook schema would take it; the API contract has none. */
export function flowOf(fetched: FetchedProcess): string {
  const flow = fetched.contract === 'web-sdk' ? fetched.process['flow'] : undefined;
  return typeof flow === 'string' && WEBHOOK_FLOW.test(flow) ? flow : UNKNOWN_FLOW;
}
