/**
 * The stack as `cdk synth` builds it (same context as cdk.json, same cdk-nag plugin), one synth
 * per auth mode, shared by the assertions on it.
 */
import { intakeMaxReceiveCount } from '../../lambdas/contracts/outcome-retries.ts';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CLAIMS_TABLE } from '../../lambdas/contracts/claims-table.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

interface Synthesized {
  readonly template: Template;
  readonly json: string;
  readonly stackName: string;
  readonly validationReport: { pluginReports: Array<{ pluginName: string; violations: unknown[] }> };
}

const cache = new Map<string, Synthesized>();

/** Synthesizes the app with cdk.json's context plus `overrides`, once per distinct context. */
function synth(overrides: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify(overrides);
  const cached = cache.get(key);
  if (cached) return cached;
  const { app, stack } = buildApp({ context: { ...cdkJson.context, ...overrides } });
  // Throws (in a test) when cdk-nag reports an unacknowledged error.
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as object;
  const result: Synthesized = {
    template: Template.fromJSON(template),
    json: JSON.stringify(template),
    stackName: stack.stackName,
    validationReport: JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')),
  };
  cache.set(key, result);
  return result;
}

const MODES = {
  basic: {},
  apikey: { auth: 'apikey', apiKeyHeader: 'X-Api-Key' },
  oauth2: {
    auth: 'oauth2',
    oauth2Issuer: 'https://id.example.com/realms/unico',
    oauth2Audiences: 'unico-webhook',
    oauth2ClientIds: 'unico-a,unico-b',
    oauth2Scopes: 'webhook.write',
  },
  none: { stage: 'dev', development: 'true', auth: 'none' },
} as const;

const COMMON_ENV = {
  CLAIMS_TABLE_NAME: { Ref: Match.stringLikeRegexp('^ReceiverClaimsTable') },
  INTAKE_QUEUE_URL: { Ref: Match.stringLikeRegexp('^ReceiverIntakeQueue') },
  RESPONSE_DEADLINE_MS: '5000',
  CLAIM_RETENTION_DAYS: '90',
  POWERTOOLS_SERVICE_NAME: 'unico-webhook-intake',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/** The intake function (the stack also runs the processor). */
const INTAKE = { Description: Match.stringLikeRegexp('^Unico webhook intake') };

function functionEnvironment(template: Template): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: INTAKE }));
  expect(functions).toHaveLength(1);
  return (functions[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment
    .Variables;
}

/** The intake function's environment is exactly `variables` (no other variable). */
function expectEnvironment(template: Template, variables: Record<string, unknown>): void {
  template.resourceCountIs('AWS::Lambda::Function', 2);
  template.hasResourceProperties('AWS::Lambda::Function', {
    ...INTAKE,
    Environment: { Variables: Match.objectEquals(variables) },
  });
}

describe('UnicoWebhookStack (cdk.json defaults: stage prod, auth basic)', () => {
  it('is named UnicoWebhook-<stage>', () => {
    expect(synth().stackName).toBe('UnicoWebhook-prod');
    expect(synth(MODES.none).stackName).toBe('UnicoWebhook-dev');
  });

  it('routes POST /webhooks/unico to the intake Lambda with payload format 2.0', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /webhooks/unico',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: Match.anyValue() }]] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeFunction'), 'Arn'] },
    });
  });

  it('logs access to its own log group as JSON without headers or bodies, and throttles the stage', () => {
    const { template } = synth();

    const stages = template.findResources('AWS::ApiGatewayV2::Stage');
    expect(Object.keys(stages)).toHaveLength(1);
    const stage = Object.values(stages)[0] as {
      Properties: { StageName: string; AccessLogSettings: { DestinationArn: unknown; Format: string } };
    };
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      // Derived from Unico's 500 in flight at 50 ms each (lambdas/contracts/webhook-capacity.ts).
      DefaultRouteSettings: { ThrottlingRateLimit: 10_000, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^ReceiverAccessLogGroup/), 'Arn'] } },
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(Object.values(format).join(' ')).not.toMatch(/header|body|querystring|authorizer/i);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('runs the intake on nodejs24.x, arm64, with the deadline-derived timeout and the env contract', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 6,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('IntakeLogGroup') } },
    });
    expectEnvironment(template, {
      ...COMMON_ENV,
      WEBHOOK_AUTH_MODE: 'basic',
      WEBHOOK_AUTH_SECRET_ARN: { Ref: Match.stringLikeRegexp('AuthSecret') },
    });
  });

  it('derives timeout and RESPONSE_DEADLINE_MS from responseDeadlineSeconds', () => {
    const { template } = synth({ responseDeadlineSeconds: '12', claimRetentionDays: '7' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 13,
      Environment: { Variables: Match.objectLike({ RESPONSE_DEADLINE_MS: '12000', CLAIM_RETENTION_DAYS: '7' }) },
    });
  });

  it('gives the function a role with no managed policy and only grant-made statements', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeLogGroup'), 'Arn'] },
          }),
          Match.objectLike({
            // One item operation, the claim's conditional put: the intake never updates, deletes, reads, scans or queries.
            Action: 'dynamodb:PutItem',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('ClaimsTable'), 'Arn'] },
          }),
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeQueue'), 'Arn'] },
          }),
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: Match.stringLikeRegexp('AuthSecret') },
          }),
        ]),
      },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/"Resource":"\*"|"Action":"[a-z]+:\*"/);
  });

  it('may only claim (one conditional PutItem) in the claims table: no update, get or delete', () => {
    const { template } = synth();
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('IntakeRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat());

    expect(Object.keys(policies)).not.toHaveLength(0);
    expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual(['dynamodb:PutItem']);
  });

  it("alarms when a dependency refuses deliveries for good, on the intake's PermanentDependencyFailures metric", () => {
    const { template } = synth();

    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'UnicoWebhookReceiver',
      MetricName: 'PermanentDependencyFailures',
      Dimensions: [{ Name: 'service', Value: 'unico-webhook-intake' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when a message reaches the intake dead-letter queue', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeDeadLetterQueue'), 'QueueName'] } },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('keeps claims in an on-demand, PITR, TTL, encrypted table keyed as CLAIMS_TABLE says', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: CLAIMS_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: CLAIMS_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: CLAIMS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: CLAIMS_TABLE.sortKey, AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: CLAIMS_TABLE.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('enqueues to an encrypted high-throughput FIFO queue with a FIFO DLQ after the retry period\'s receives (22 for 3 hours)', () => {
    const { template } = synth();
    const fifo = {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    };

    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.hasResource('AWS::SQS::Queue', {
      DeletionPolicy: 'Retain',
      Properties: {
        ...fifo,
        VisibilityTimeout: 180,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeDeadLetterQueue'), 'Arn'] },
          maxReceiveCount: 22,
        },
      },
    });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', Properties: { ...fifo, RedrivePolicy: Match.absent() } });
  });

  it('denies non-TLS access on every queue', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::SQS::QueuePolicy', 4);
    for (const queue of ['IntakeQueue', 'IntakeDeadLetterQueue', 'ResultsQueue', 'ResultsDeadLetterQueue']) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: Match.stringLikeRegexp(`${queue}[0-9A-F]{8}$`) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('generates the basic credential in Secrets Manager (username unico, 40-char password)', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ username: 'unico' }),
        GenerateStringKey: 'password',
        ExcludePunctuation: true,
        PasswordLength: 40,
      },
      SecretString: Match.absent(),
    });
  });

  it('outputs the webhook URL, what to enter in Unico, the secret, queues and table', () => {
    const { template, json } = synth();

    template.hasOutput('WebhookUrl', {
      Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Api'), 'ApiEndpoint'] }, '/webhooks/unico']] },
    });
    template.hasOutput('AuthSecretArn', { Value: { Ref: Match.stringLikeRegexp('AuthSecret') } });
    template.hasOutput('IntakeQueueUrl', { Value: { Ref: Match.stringLikeRegexp('IntakeQueue') } });
    template.hasOutput('IntakeDeadLetterQueueUrl', { Value: { Ref: Match.stringLikeRegexp('IntakeDeadLetterQueue') } });
    template.hasOutput('ClaimsTableName', { Value: { Ref: Match.stringLikeRegexp('ClaimsTable') } });
    template.hasOutput('PermanentFailureAlarmName', { Value: { Ref: Match.stringLikeRegexp('PermanentFailureAlarm') } });
    template.hasOutput('IntakeDeadLetterAlarmName', { Value: { Ref: Match.stringLikeRegexp('IntakeDeadLetterAlarm') } });
    const setup = JSON.stringify((JSON.parse(json) as { Outputs: Record<string, unknown> }).Outputs.UnicoAuthSetup);
    expect(setup).toContain('Authentication type Basic');
    expect(setup).toContain('aws secretsmanager get-secret-value --secret-id ');
  });
});

describe('auth modes', () => {
  it('apikey: header in env and in the generated secret, value generated under "value"', () => {
    const { template, json } = synth(MODES.apikey);

    expectEnvironment(template, {
      ...COMMON_ENV,
      WEBHOOK_AUTH_MODE: 'apikey',
      WEBHOOK_AUTH_SECRET_ARN: { Ref: Match.stringLikeRegexp('AuthSecret') },
      WEBHOOK_API_KEY_HEADER: 'X-Api-Key',
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ header: 'X-Api-Key' }),
        GenerateStringKey: 'value',
        ExcludePunctuation: true,
        PasswordLength: 40,
      },
    });
    expect(json).toContain('Authentication type API Key: enter X-Api-Key:<the \\"value\\" field of secret ');
  });

  it('oauth2: issuer and comma-joined lists in env, no secret at all', () => {
    const { template, json } = synth(MODES.oauth2);

    expectEnvironment(template, {
      ...COMMON_ENV,
      WEBHOOK_AUTH_MODE: 'oauth2',
      OAUTH2_ISSUER: 'https://id.example.com/realms/unico',
      OAUTH2_AUDIENCES: 'unico-webhook',
      OAUTH2_CLIENT_IDS: 'unico-a,unico-b',
      OAUTH2_REQUIRED_SCOPES: 'webhook.write',
      OAUTH2_KEYS_MAX_STALE_SECONDS: '86400',
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(Object.keys(template.findOutputs('*'))).not.toContain('AuthSecretArn');
    expect(json).toContain('Authentication type OAuth2');
  });

  it('none (development stage): no secret, and stateful resources go with the stack', () => {
    const { template } = synth(MODES.none);

    expectEnvironment(template, { ...COMMON_ENV, WEBHOOK_AUTH_MODE: 'none' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
  });

  it.each(Object.entries(MODES))('%s: no credential value in the template or the environment', (_mode, context) => {
    const { template, json } = synth(context);

    // Secrets are generated by Secrets Manager at deploy time, never written into the template.
    expect(json).not.toMatch(/"SecretString"\s*:/);
    expect(json).not.toMatch(/(basic|apikey):[^"\s]+:/i);
    const names = Object.keys(functionEnvironment(template));
    expect(names.filter((name) => /PASS|SECRET(?!_ARN)|TOKEN|^WEBHOOK_AUTH$|API_KEY(?!_HEADER)/.test(name))).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions (registered with Validations, as in bin/app.ts)', () => {
  it.each(Object.entries(MODES))('%s: synth passes with zero unacknowledged findings', (_mode, context) => {
    // synth() would have thrown on an unacknowledged error; warnings would still be in the report.
    const { validationReport } = synth(context);

    const findings = validationReport.pluginReports.flatMap((report) =>
      report.violations.map((violation) => ({ plugin: report.pluginName, violation })),
    );
    expect(findings).toEqual([]);
  });
});

describe('processor and results queue', () => {
  const PROCESSOR = { Description: Match.stringLikeRegexp('^Unico webhook processor') };
  const WITH_UNICO = { unicoServiceAccount: 'svc@tenant.iam.acesso.io', unicoContract: 'api' };

  it('consumes the intake queue in batches with partial batch responses and a bounded concurrency', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReceiverIntakeQueue'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('ProcessorFunction') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ...PROCESSOR, Runtime: 'nodejs24.x', Timeout: 30 });
  });

  it('publishes to an encrypted FIFO results queue with its own dead-letter queue and alarm', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ResultsDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('ResultsDeadLetterQueue'), 'QueueName'] } }],
    });
    template.hasOutput('ResultsQueueUrl', { Value: { Ref: Match.stringLikeRegexp('^ReceiverResultsQueue') } });
  });

  it('may only read and confirm claims, publish results and consume the intake queue', () => {
    const { template } = synth();
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ProcessorRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat()).sort();

    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'sqs:SendMessage', 'sqs:ChangeMessageVisibility']),
    );
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
  });

  it("alarms when the processor cannot go on without a person, on its own metric", () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PermanentDependencyFailures',
      Dimensions: [{ Name: 'service', Value: 'unico-webhook-processor' }],
    });
    template.hasOutput('ProcessorPermanentFailureAlarmName', { Value: { Ref: Match.stringLikeRegexp('ProcessorPermanentFailureAlarm') } });
  });

  it("alarms when Unico refuses the service account's credentials, on the processor's UnicoCredentialsRefused metric", () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'UnicoCredentialsRefused',
      Threshold: 1,
      Dimensions: [{ Name: 'service', Value: 'unico-webhook-processor' }],
    });
    template.hasOutput('UnicoCredentialsAlarmName', { Value: { Ref: Match.stringLikeRegexp('UnicoCredentialsAlarm') } });
  });

  it('a longer outcome retry period reaches the processor and raises the intake dead-letter limit with it', () => {
    const { template } = synth({ outcomeRetryPeriodHours: '24' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      ...PROCESSOR,
      Environment: { Variables: Match.objectLike({ OUTCOME_RETRY_PERIOD_SECONDS: String(24 * 3600) }) },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntakeDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: intakeMaxReceiveCount(24 * 3600),
      },
    });
    expect(intakeMaxReceiveCount(24 * 3600)).toBeGreaterThan(intakeMaxReceiveCount(3 * 3600));
  });

  it('without a Unico service account, fetches nothing: no Unico settings and no secret for it', () => {
    const { template } = synth();

    const processor = Object.values(template.findResources('AWS::Lambda::Function', { Properties: PROCESSOR }))[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(Object.keys(processor.Properties.Environment.Variables).filter((name) => name.startsWith('UNICO_'))).toEqual([]);
  });

  it('with one, a credentials secret to fill in, read by the processor only, and cdk-nag satisfied', () => {
    const { template, validationReport } = synth(WITH_UNICO);

    template.hasResourceProperties('AWS::Lambda::Function', {
      ...PROCESSOR,
      Environment: {
        Variables: Match.objectLike({
          UNICO_CONTRACT: 'api',
          UNICO_API_BASE_URL: 'https://api.id.unico.app',
          UNICO_SERVICE_ACCOUNT: 'svc@tenant.iam.acesso.io',
          UNICO_SECRET_ARN: { Ref: Match.stringLikeRegexp('UnicoCredentials') },
        }),
      },
    });
    template.hasOutput('UnicoCredentialsSecretArn', { Value: { Ref: Match.stringLikeRegexp('UnicoCredentials') } });
    expect(validationReport.pluginReports.flatMap((report) => report.violations)).toEqual([]);
  });
});
