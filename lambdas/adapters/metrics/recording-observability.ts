import type { Observability } from '../../core/observability.ts';

/** One call of the port, as a test reads it. */
export interface ObservedEvent {
  readonly name: keyof Observability;
  readonly args: readonly (string | number)[];
}

/** Keeps every event in order, for tests (and the local stack when asked to show them). */
export interface RecordingObservability extends Observability {
  readonly events: ObservedEvent[];
  /** The events of one name, their arguments only. */
  of(name: keyof Observability): (readonly (string | number)[])[];
}

export function recordingObservability(): RecordingObservability {
  const events: ObservedEvent[] = [];
  const record =
    (name: keyof Observability) =>
    (...args: (string | number)[]): void => {
      events.push({ name, args });
    };
  return {
    events,
    of: (name) => events.filter((event) => event.name === name).map((event) => event.args),
    accepted: record('accepted'),
    duplicate: record('duplicate'),
    refused: record('refused'),
    dependencyFailed: record('dependencyFailed'),
    outcomeFetched: record('outcomeFetched'),
    outcomeFetchFailed: record('outcomeFetchFailed'),
    unicoCredentialsRefused: record('unicoCredentialsRefused'),
    fallbackRecovered: record('fallbackRecovered'),
    trackingExpired: record('trackingExpired'),
    budgetWaited: record('budgetWaited'),
    claimConfirmed: record('claimConfirmed'),
  };
}
