/**
 * The optional EventBridge bus that gets a copy of each results event (docs/eventbridge.md): one
 * created here, or yours; and, when asked, an archive of the receiver's events on it, for replay.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Archive, EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { RESULTS_EVENT_BUS_SOURCE } from '../../lambdas/contracts/results-event-bus.ts';

export interface ResultsEventBus {
  readonly eventBus: IEventBus;
  /** True when the bus was created here. */
  readonly created: boolean;
  readonly archive?: Archive;
}

export function resultsEventBus(
  scope: Construct,
  bus: IEventBus | true,
  archiveRetentionDays: number | undefined,
  removalPolicy: RemovalPolicy,
): ResultsEventBus {
  const eventBus =
    bus === true
      ? new EventBus(scope, 'ResultsEventBus', {
          description: 'Unico webhook receiver: a copy of each results event (CloudEvent in the detail), for rules, archive and replay',
        })
      : bus;
  if (eventBus instanceof EventBus) eventBus.applyRemovalPolicy(removalPolicy);
  if (archiveRetentionDays === undefined) return { eventBus, created: bus === true };
  // Only the receiver's events, so a shared bus's other traffic is not kept (nor paid for).
  const archive = new Archive(scope, 'ResultsArchive', {
    sourceEventBus: eventBus,
    description: 'Unico webhook receiver: results events, for replay',
    eventPattern: { source: [RESULTS_EVENT_BUS_SOURCE] },
    retention: Duration.days(archiveRetentionDays),
  });
  archive.applyRemovalPolicy(removalPolicy);
  return { eventBus, created: bus === true, archive };
}
