import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TRACKING_TABLE } from '../../lambdas/contracts/tracking-table.ts';
import { receiverTableProps } from './claims-table.ts';

/**
 * The tracking table: one item per process the integrator's backend asked to watch, with the
 * sparse `due` index the fallback queries for what is due (never a scan). Keyed as TRACKING_TABLE
 * says (shared with the adapter and the local stack), with TTL, kept as every receiver table is.
 * Creates `TrackingTable` in `scope`.
 */
export function trackingTable(scope: Construct, removalPolicy: RemovalPolicy): Table {
  const table = new Table(scope, 'TrackingTable', {
    ...receiverTableProps(removalPolicy),
    partitionKey: { name: TRACKING_TABLE.partitionKey, type: AttributeType.STRING },
    timeToLiveAttribute: TRACKING_TABLE.ttlAttribute,
  });
  table.addGlobalSecondaryIndex({
    indexName: TRACKING_TABLE.dueIndex.name,
    partitionKey: { name: TRACKING_TABLE.dueIndex.partitionKey, type: AttributeType.STRING },
    sortKey: { name: TRACKING_TABLE.dueIndex.sortKey, type: AttributeType.NUMBER },
    projectionType: ProjectionType.ALL,
  });
  return table;
}
