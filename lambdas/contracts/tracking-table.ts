/**
 * The shape of the tracking table (contract 3: the processes the fallback watches), shared by the
 * CDK stack, the DynamoDB adapter and the local stack so that the three can never drift apart.
 *
 * One item per tracked process. While a process is tracked its item carries `dueShard` and
 * `nextCheckAt`, the keys of the sparse `due` index: the fallback queries each shard for items
 * whose next check has come (never a scan), and an item that stops being tracked drops both
 * attributes and leaves the index. Spreading the due items over a few shards keeps any one index
 * partition from running hot when many processes are tracked at once.
 */
export const TRACKING_TABLE = {
  partitionKey: 'processId',
  /** Epoch seconds after which DynamoDB may delete the item (its TTL attribute). */
  ttlAttribute: 'removeAt',
  dueIndex: {
    name: 'due',
    partitionKey: 'dueShard',
    /** Epoch milliseconds of the next check. */
    sortKey: 'nextCheckAt',
  },
  /** How many index partitions the due items are spread over (`dueShard` is "0" to "3"). */
  dueShards: 4,
} as const;

/** The shard of a process: a stable function of its id, so that each shard gets its share. */
export function dueShardOf(processId: string): string {
  let hash = 0;
  for (let index = 0; index < processId.length; index += 1) hash = (hash * 31 + processId.charCodeAt(index)) >>> 0;
  return String(hash % TRACKING_TABLE.dueShards);
}
