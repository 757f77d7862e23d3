import type { RemovalPolicy } from 'aws-cdk-lib';
import { RemovalPolicy as Policies } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TRACKING_TABLE } from '../../lambdas/contracts/tracking-table.ts';

/**
 * The tracking table: one item per process the integrator's backend asked to watch, with the
 * sparse `due` index the fallback queries for what is due (never a scan). Keyed as TRACKING_TABLE
 * says (shared with the adapter and the local stack); on demand, point-in-time recovery, TTL,
 * encrypted, protected from deletion unless the stack is meant to be thrown away. Creates
 * `TrackingTable` in `scope`.
 */
export function trackingTable(scope: Construct, removalPolicy: RemovalPolicy): Table {
  const table = new Table(scope, 'TrackingTable', {
    partitionKey: { name: TRACKING_TABLE.partitionKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TRACKING_TABLE.ttlAttribute,
    encryption: TableEncryption.AWS_MANAGED,
    deletionProtection: removalPolicy !== Policies.DESTROY,
    removalPolicy,
  });
  table.addGlobalSecondaryIndex({
    indexName: TRACKING_TABLE.dueIndex.name,
    partitionKey: { name: TRACKING_TABLE.dueIndex.partitionKey, type: AttributeType.STRING },
    sortKey: { name: TRACKING_TABLE.dueIndex.sortKey, type: AttributeType.NUMBER },
    projectionType: ProjectionType.ALL,
  });
  return table;
}
