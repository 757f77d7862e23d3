/**
 * The shape of the claims table, shared by the CDK stack, the DynamoDB adapter and the local
 * stack so that the three can never drift apart.
 *
 * One item per idempotency key (processId + state). The partition key alone groups every state a
 * process went through, which later lookups by processId rely on.
 */
export const CLAIMS_TABLE = {
  partitionKey: 'processId',
  sortKey: 'state',
  /** Epoch seconds after which DynamoDB may delete the claim (its TTL attribute). */
  ttlAttribute: 'expiresAt',
} as const;
