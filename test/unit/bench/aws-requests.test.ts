import { describe, expect, it } from '@jest/globals';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { evaluateCondition, InMemoryAws } from '../../../bench/in-memory-aws.ts';
import { deliveryEvent, newNotificationBody, requestsPerDelivery, wireIntake } from '../../../bench/warm-intake.ts';
import { lambdaContext } from '../../../tools/local-stack/api-gateway-event.ts';

// What `npm run bench` reports as AWS requests per delivery, counted by the in-memory AWS that
// answers the real SDK clients: no timing here, only what each intake asks of AWS.
describe('AWS requests per delivery, at the SDK level', () => {
  it('our intake: a claim put and a SendMessage for a first delivery, one put for a copy of a confirmed one', async () => {
    const counts = await requestsPerDelivery('ours', 3);
    expect(counts.accepted).toEqual({ perDelivery: 2, operations: { 'DynamoDB.PutItem': 1, 'SQS.SendMessage': 1 } });
    expect(counts.duplicate).toEqual({ perDelivery: 1, operations: { 'DynamoDB.PutItem': 1 } });
    expect(counts.statuses).toEqual({ accepted: [202, 202, 202], duplicate: [200, 200, 200] });
  });

  it('the Powertools baseline: put, SendMessage and the update to COMPLETED, then one failed put answered with the stored 202', async () => {
    const counts = await requestsPerDelivery('baseline', 3);
    expect(counts.accepted).toEqual({
      perDelivery: 3,
      operations: { 'DynamoDB.PutItem': 1, 'SQS.SendMessage': 1, 'DynamoDB.UpdateItem': 1 },
    });
    expect(counts.duplicate).toEqual({ perDelivery: 1, operations: { 'DynamoDB.PutItem': 1 } });
    expect(counts.statuses).toEqual({ accepted: [202, 202, 202], duplicate: [202, 202, 202] });
  });

  it('a copy of a claim not yet confirmed is sent again (put + SendMessage, the same deduplication id)', async () => {
    const intake = wireIntake('ours');
    const body = newNotificationBody();
    await intake.handle(deliveryEvent(body), lambdaContext('intake', 10_000));
    const answer = await intake.handle(deliveryEvent(body), lambdaContext('intake', 10_000));
    expect(answer.statusCode).toBe(200);
    expect(Object.fromEntries(intake.aws.requests)).toEqual({ 'DynamoDB.PutItem': 2, 'SQS.SendMessage': 2 });
    expect(intake.aws.sentTo('intake.fifo')).toBe(2);
  });

  it('a refused delivery costs no AWS request, in either intake', async () => {
    for (const name of ['ours', 'baseline'] as const) {
      const intake = wireIntake(name);
      const event = deliveryEvent(newNotificationBody());
      event.headers.authorization = 'Basic d3Jvbmc6d3Jvbmc=';
      expect((await intake.handle(event, lambdaContext('intake', 10_000))).statusCode).toBe(401);
      expect(intake.aws.totalRequests).toBe(0);
    }
  });
});

describe("the in-memory DynamoDB's conditions", () => {
  const names = { '#id': 'id', '#expiry': 'expiration', '#status': 'status', '#ipe': 'in_progress_expiration' };
  const values = { ':now': { N: '100' }, ':inprogress': { S: 'INPROGRESS' }, ':ms': { N: '100000' } };
  const powertools = 'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#ipe) AND #ipe < :ms)';

  it.each([
    ['no item', {}, true],
    ['a live completed record', { id: { S: 'k' }, expiration: { N: '200' }, status: { S: 'COMPLETED' } }, false],
    ['an expired record', { id: { S: 'k' }, expiration: { N: '50' }, status: { S: 'COMPLETED' } }, true],
    ['an in-progress record past its expiry', { id: { S: 'k' }, expiration: { N: '200' }, status: { S: 'INPROGRESS' }, in_progress_expiration: { N: '99999' } }, true],
    ['an in-progress record still running', { id: { S: 'k' }, expiration: { N: '200' }, status: { S: 'INPROGRESS' }, in_progress_expiration: { N: '100001' } }, false],
  ])('%s', (_, item, expected) => {
    expect(evaluateCondition(powertools, item, names, values)).toBe(expected);
  });

  it('NOT and <> as DynamoDB reads them', () => {
    expect(evaluateCondition('NOT attribute_exists(a)', {}, {}, {})).toBe(true);
    expect(evaluateCondition('a <> :v', { a: { S: 'x' } }, {}, { ':v': { S: 'y' } })).toBe(true);
    expect(evaluateCondition('a <> :v', { a: { S: 'y' } }, {}, { ':v': { S: 'y' } })).toBe(false);
  });

  it('an expression it cannot read is answered as DynamoDB answers it (a 400), not thrown in the I/O turn', async () => {
    const aws = new InMemoryAws({ claims: { partitionKey: 'processId' } });
    const client = new DynamoDBClient(aws.clientConfig());
    const put = client.send(new PutItemCommand({ TableName: 'claims', Item: { processId: { S: 'p' } }, ConditionExpression: '' }));
    await expect(put).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(aws.items('claims')[Symbol.iterator]().next().done).toBe(true);
  });
});
