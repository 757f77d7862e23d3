import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTrackingStore } from '../adapters/dynamodb/dynamodb-tracking-store.ts';
import type { Clock } from '../core/deadline.ts';
import { TrackingService } from '../core/tracking/tracking-service.ts';
import type { FallbackSchedule } from '../contracts/fallback-schedule.ts';
import { createTrackingHandler, type TrackingHandler } from './tracking-handler.ts';

export interface TrackingWiring {
  readonly dynamodb: DynamoDBClient;
  readonly trackingTableName: string;
  readonly schedule: FallbackSchedule;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** Puts the tracking function together: the one wiring AWS and the local stack share. */
export function composeTrackingHandler(wiring: TrackingWiring): TrackingHandler {
  const tracking = new TrackingService({
    store: new DynamoDbTrackingStore({ client: wiring.dynamodb, tableName: wiring.trackingTableName }),
    schedule: wiring.schedule,
    ...(wiring.clock ? { clock: wiring.clock } : {}),
  });
  return createTrackingHandler({ tracking, logger: wiring.logger });
}
