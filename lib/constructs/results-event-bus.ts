/**
 * The optional EventBridge bus that gets a copy of each results event (docs/eventbridge.md): one
 * created here, or yours in the same account and Region; the bus feed queue the processor sends
 * each event to, and the EventBridge pipe that puts the feed's messages on the bus; and, when
 * asked, an archive of the receiver's events on the bus, for replay.
 */
import { Duration, Names, Stack, Token, type RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Archive, EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { RESULTS_BUS_FEED_QUEUE, RESULTS_EVENT_BUS_SOURCE, RESULTS_PIPE_TARGET } from '../../lambdas/contracts/results-event-bus.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { PROPS_ERROR_HEADING } from '../receiver-props.ts';
import { fifoQueueWithDeadLetter } from './fifo-queue-with-dead-letter.ts';

export interface ResultsEventBusOptions {
  /** `true`: a bus created here. */
  readonly bus: IEventBus | true;
  readonly archiveRetentionDays?: number;
  readonly removalPolicy: RemovalPolicy;
  /** The results queues' customer-managed key: for the feed, and for the bus and archive created here. */
  readonly encryptionKey?: IKey;
}

export interface ResultsEventBus {
  readonly eventBus: IEventBus;
  /** True when the bus was created here. */
  readonly created: boolean;
  readonly archive?: Archive;
  /** What the processor sends each event to, before the results queue. */
  readonly feedQueue: Queue;
  readonly feedDeadLetterQueue: Queue;
  /** In alarm while an event the pipe could not put on the bus waits in the feed's dead-letter queue. */
  readonly feedDeadLetterAlarm: Alarm;
  readonly pipe: CfnPipe;
  /** The pipe's role: consumes the feed, puts events on the bus. */
  readonly pipeRole: IRole;
}

export function resultsEventBus(scope: Construct, options: ResultsEventBusOptions): ResultsEventBus {
  const { bus, removalPolicy } = options;
  if (bus !== true) refuseAnotherAccountOrRegion(scope, bus);
  const eventBus =
    bus === true
      ? new EventBus(scope, 'ResultsEventBus', {
          description: 'Unico webhook receiver: a copy of each results event (CloudEvent in the detail), for rules, archive and replay',
          // A readable name: with a key, CDK writes it into the key policy, where CDK's generated one
          // (one 48-character run of letters and digits) would read like a credential to a reviewer.
          eventBusName: `${Names.uniqueResourceName(scope, { maxLength: 200, separator: '-' })}-results`,
          // Outcomes carry personal data: the results queues' key, when there is one, for the bus too.
          ...(options.encryptionKey ? { kmsKey: options.encryptionKey } : {}),
        })
      : bus;
  if (eventBus instanceof EventBus) eventBus.applyRemovalPolicy(removalPolicy);

  const feed = fifoQueueWithDeadLetter(scope, 'ResultsBusFeed', RESULTS_BUS_FEED_QUEUE, {
    removalPolicy,
    ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
    deadLetterAlarmDescription: `Results events the pipe failed to put on the EventBridge bus ${RESULTS_BUS_FEED_QUEUE.maxReceiveCount} times sit in the bus feed's dead-letter queue (the results queue has them). Check the pipe's state and the bus (deleted, a policy refusing the pipe's role), then redrive them to the feed (they expire after 14 days).`,
  });
  const pipeRole = new Role(scope, 'ResultsPipeRole', {
    assumedBy: new ServicePrincipal('pipes.amazonaws.com'),
    description: 'Unico webhook receiver: the pipe from the results bus feed to the EventBridge bus',
  });
  feed.queue.grantConsumeMessages(pipeRole);
  eventBus.grantPutEventsTo(pipeRole);
  const pipe = new CfnPipe(scope, 'ResultsPipe', {
    description: 'Unico webhook receiver: each results event from the bus feed onto the EventBridge bus',
    roleArn: pipeRole.roleArn,
    source: feed.queue.queueArn,
    sourceParameters: { sqsQueueParameters: { batchSize: 10 } },
    target: eventBus.eventBusArn,
    targetParameters: {
      inputTemplate: RESULTS_PIPE_TARGET.inputTemplate,
      eventBridgeEventBusParameters: {
        source: RESULTS_EVENT_BUS_SOURCE,
        detailType: RESULTS_PIPE_TARGET.detailType,
        time: RESULTS_PIPE_TARGET.time,
      },
    },
  });
  // The pipe starts only once its role may read the feed and put on the bus.
  pipe.node.addDependency(pipeRole);

  const common = {
    eventBus,
    created: bus === true,
    feedQueue: feed.queue,
    feedDeadLetterQueue: feed.deadLetterQueue,
    feedDeadLetterAlarm: feed.deadLetterAlarm,
    pipe,
    pipeRole,
  };
  if (options.archiveRetentionDays === undefined) return common;
  // Only the receiver's events, so a shared bus's other traffic is not kept (nor paid for).
  const archive = new Archive(scope, 'ResultsArchive', {
    sourceEventBus: eventBus,
    description: 'Unico webhook receiver: results events, for replay',
    eventPattern: { source: [RESULTS_EVENT_BUS_SOURCE] },
    retention: Duration.days(options.archiveRetentionDays),
  });
  archive.applyRemovalPolicy(removalPolicy);
  return { ...common, archive };
}

/** A pipe puts events on a bus of its own account and Region only: say so at synth, not at deploy. */
function refuseAnotherAccountOrRegion(scope: Construct, bus: IEventBus): void {
  const stack = Stack.of(scope);
  const differs = (theirs: string, ours: string) => !Token.isUnresolved(theirs) && !Token.isUnresolved(ours) && theirs !== '' && theirs !== ours;
  if (differs(bus.env.account, stack.account) || differs(bus.env.region, stack.region)) {
    throw new ConfigurationError(PROPS_ERROR_HEADING, [
      `resultsEventBus: ${bus.eventBusArn} is in another account or Region than the stack (${stack.account}, ${stack.region}); the pipe puts events on a bus of its own account and Region: use a bus here and a rule that forwards to that one`,
    ]);
  }
}
