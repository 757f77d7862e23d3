import type { RemovalPolicy } from 'aws-cdk-lib';
import { RemovalPolicy as Policies } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';

/**
 * The claims table: one item per processId + state, the record that makes each notification
 * reach the intake queue once. Keyed as CLAIMS_TABLE says (shared with the adapter and the local
 * stack); on demand, point-in-time recovery, TTL, encrypted, protected from deletion unless the
 * stack is meant to be thrown away. Creates `ClaimsTable` in `scope`.
 */
export function claimsTable(scope: Construct, removalPolicy: RemovalPolicy): Table {
  return new Table(scope, 'ClaimsTable', {
    ...receiverTableProps(removalPolicy),
    partitionKey: { name: CLAIMS_TABLE.partitionKey, type: AttributeType.STRING },
    sortKey: { name: CLAIMS_TABLE.sortKey, type: AttributeType.STRING },
    timeToLiveAttribute: CLAIMS_TABLE.ttlAttribute,
  });
}

/**
 * How every table of the receiver is kept: on demand, point-in-time recovery, encrypted, and
 * protected from deletion unless the stack is meant to be thrown away.
 */
export function receiverTableProps(removalPolicy: RemovalPolicy) {
  return {
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // KMS with the AWS-managed key (aws/dynamodb): encrypted and audited in CloudTrail, no key
    // policy to run and no cross-account reader that would need a customer-managed key.
    encryption: TableEncryption.AWS_MANAGED,
    deletionProtection: removalPolicy !== Policies.DESTROY,
    removalPolicy,
  };
}
