import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TRACKING_TABLE } from '../../lambdas/contracts/tracking-table.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

/**
 * Contract 3 in the stack: the tracking table and its due index, the IAM-authorised tracking
 * routes, the scheduled fallback (one run at a time, no Scan anywhere) and its two alarms. They
 * come with outcome fetching: without a Unico service account there is nothing to fall back on.
 */
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const WITH_UNICO = { unicoServiceAccount: 'svc@tenant.iam.acesso.io' };

const cache = new Map<string, Template>();
function synth(overrides: Record<string, unknown>): Template {
  const key = JSON.stringify(overrides);
  const cached = cache.get(key);
  if (cached) return cached;
  const { app, stack } = buildApp({ context: { ...cdkJson.context, ...overrides } });
  const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template as object);
  cache.set(key, template);
  return template;
}

const FALLBACK = { Description: Match.stringLikeRegexp('fallback') };
const TRACKING = { Description: Match.stringLikeRegexp('tracking') };

function actionsOf(template: Template, rolePattern: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(rolePattern) }] },
  });
  return Object.values(policies)
    .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement)
    .flatMap((statement) => [statement.Action].flat());
}

describe('tracking and the fallback (with outcome fetching)', () => {
  it('has a tracking table keyed by processId with TTL and a sparse due index on dueShard + nextCheckAt', () => {
    const template = synth(WITH_UNICO);

    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TRACKING_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TRACKING_TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: TRACKING_TABLE.dueIndex.name,
          KeySchema: [
            { AttributeName: TRACKING_TABLE.dueIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: TRACKING_TABLE.dueIndex.sortKey, KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('routes PUT and GET /processes/{processId} and POST .../journey-finished to the tracking function, IAM-authorised', () => {
    const template = synth(WITH_UNICO);

    for (const routeKey of ['PUT /processes/{processId}', 'GET /processes/{processId}', 'POST /processes/{processId}/journey-finished']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'AWS_IAM' });
    }
    // The webhook keeps the credentials Unico presents: no IAM on it.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/unico', AuthorizationType: 'NONE' });
    template.hasOutput('TrackingUrl', Match.objectLike({}));
  });

  it('runs the fallback every minute, one run at a time, and never retries a run that could not start', () => {
    const template = synth(WITH_UNICO);

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ...FALLBACK, ReservedConcurrentExecutions: 1, Runtime: 'nodejs24.x' });
  });

  it('gives the fallback the due index to query, never a Scan, and the tracking function only put, update and get', () => {
    const template = synth(WITH_UNICO);
    const fallback = actionsOf(template, 'FallbackRole');
    const tracking = actionsOf(template, 'TrackingRole');

    expect(fallback).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'sqs:SendMessage']));
    expect([...fallback, ...tracking].filter((action) => /Scan|DeleteItem|\*/.test(action))).toEqual([]);
    expect(tracking.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`/index/${TRACKING_TABLE.dueIndex.name}`);
  });

  it('writes the schedule into both functions and the Unico settings into the fallback', () => {
    const template = synth({ ...WITH_UNICO, fallbackFirstCheckSeconds: '600', fallbackBackoffFactor: '3', fallbackMaxCheckIntervalSeconds: '7200' });
    const schedule = {
      FALLBACK_FIRST_CHECK_SECONDS: '600',
      FALLBACK_BACKOFF_FACTOR: '3',
      FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '7200',
    };

    template.hasResourceProperties('AWS::Lambda::Function', {
      ...TRACKING,
      Environment: { Variables: Match.objectLike(schedule) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...FALLBACK,
      Environment: { Variables: Match.objectLike({ ...schedule, UNICO_SERVICE_ACCOUNT: 'svc@tenant.iam.acesso.io' }) },
    });
  });

  it('alarms on recoveries by the fallback above the threshold and on tracked processes that expired', () => {
    const template = synth(WITH_UNICO);

    const fallbackService = [{ Name: 'service', Value: 'unico-webhook-fallback' }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FallbackRecoveries', Threshold: 10, Period: 3600, Dimensions: fallbackService });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TrackedProcessesExpired', Threshold: 1, Period: 3600, Dimensions: fallbackService });
    template.hasOutput('FallbackRecoveriesAlarmName', Match.objectLike({}));
    template.hasOutput('TrackingExpiredAlarmName', Match.objectLike({}));
  });

  it('refuses fallback settings without a Unico service account, and out of bounds, at synth', () => {
    expect(() => synth({ fallbackFirstCheckSeconds: '600' })).toThrow(/fallbackFirstCheckSeconds: applies only with unicoServiceAccount/);
    expect(() => synth({ ...WITH_UNICO, fallbackFirstCheckSeconds: '5' })).toThrow(/fallbackFirstCheckSeconds/);
  });
});

describe('without outcome fetching', () => {
  it('creates no tracking table, routes or fallback', () => {
    const template = synth({});

    expect(JSON.stringify(template.toJSON())).not.toMatch(/TrackingTable|FallbackFunction|\/processes/);
  });
});
