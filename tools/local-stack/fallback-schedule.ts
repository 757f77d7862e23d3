import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext } from './api-gateway-event.ts';

export interface FallbackScheduleOptions {
  /** The fallback's handler, as EventBridge invokes it. */
  readonly handler: (event: ScheduledEvent, context: Context) => Promise<unknown>;
  readonly functionName: string;
  readonly intervalMs: number;
  /** Each run's remaining time starts at this, as Lambda's timeout. */
  readonly functionTimeoutMs: number;
  /** A run that failed (it logs its own line; this is for what it could not log). */
  readonly onError: (error: unknown) => void;
}

export interface RunningFallbackSchedule {
  /** Runs no more; resolves once the run under way (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * EventBridge's rule for the local stack: the fallback every `intervalMs`, in-process, one run
 * at a time (as the reserved concurrency of 1 does in AWS): a run that overruns its period
 * delays the next instead of overlapping it.
 */
export function startFallbackSchedule(options: FallbackScheduleOptions): RunningFallbackSchedule {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const runOnce = async (): Promise<void> => {
    const startedAt = Date.now();
    const event = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date(startedAt).toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {},
    } as ScheduledEvent;
    try {
      await options.handler(event, lambdaContext(options.functionName, options.functionTimeoutMs, startedAt));
    } catch (error) {
      options.onError(error);
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, startedAt + options.intervalMs - Date.now()));
  };
  const tick = () => {
    current = runOnce();
  };
  timer = setTimeout(tick, options.intervalMs);

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
