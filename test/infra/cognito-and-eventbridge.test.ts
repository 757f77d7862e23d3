/**
 * OAuth2 with Cognito (`-c auth=oauth2 -c oauth2Provider=cognito`): the pool, its domain, scope
 * and client, the intake verifying that client's tokens, the outputs for Unico's form (no secret
 * in them), the context keys and the props' checks. Results on EventBridge (`-c resultsEventBus`):
 * the bus, its archive, the processor's environment and its PutEvents grant; no bus by default.
 * One synth per configuration, in beforeAll.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { configurationProblems } from '../support/configuration-problems.ts';
import { loadIntakeConfig } from '../../lambdas/intake/config.ts';
import { loadProcessorConfig } from '../../lambdas/processor/config.ts';
import { cognitoDomainPrefixProblem } from '../../lib/constructs/cognito-token-issuer.ts';
import { loadStackConfig } from '../../lib/stack-config.ts';
import { UnicoWebhookReceiver, type WebhookAuth } from '../../lib/unico-webhook-receiver.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
interface Synthesized {
  readonly template: Template;
  readonly resources: Resources;
  readonly outputs: Record<string, { Value: unknown; Description?: string }>;
}

/** The app as `cdk synth` builds it (cdk-nag plugin included: synth throws on an unacknowledged error). */
function synth(context: Record<string, unknown>): Synthesized {
  const { app, stack } = buildApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  const json = app.synth().getStackByName(stack.stackName).template as { Resources: Resources; Outputs: Synthesized['outputs'] };
  return { template: Template.fromJSON(json), resources: json.Resources, outputs: json.Outputs };
}

const logicalIdOf = (resources: Resources, type: string): string => {
  const ids = Object.keys(resources).filter((id) => resources[id]?.Type === type);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

/** CloudFormation's value at deploy time, with stand-ins for what only a deployment knows. */
function resolve(value: unknown, resources: Resources): string {
  if (typeof value === 'string') return value;
  const node = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (node['Fn::Join']) return node['Fn::Join'][1].map((part) => resolve(part, resources)).join(node['Fn::Join'][0]);
  const ref = node.Ref ?? '';
  if (ref === 'AWS::Region') return 'sa-east-1';
  if (ref === 'AWS::AccountId') return '123456789012';
  const attribute = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (attribute?.[1] === 'Arn' && resources[attribute[0]]?.Type === 'AWS::Events::EventBus') {
    return `arn:aws:events:sa-east-1:123456789012:event-bus/${attribute[0]}`;
  }
  switch (resources[ref]?.Type) {
    case 'AWS::Cognito::UserPool':
      return 'sa-east-1_AbCdEfGhI';
    case 'AWS::Cognito::UserPoolClient':
      return '4h2k1example0client0id';
    case 'AWS::Cognito::UserPoolDomain':
      return 'unicowebhook-prod-1a2b3c4d-123456789012';
    case 'AWS::Cognito::UserPoolResourceServer':
      return 'unico-webhook';
    case 'AWS::SQS::Queue':
      return `https://sqs.sa-east-1.amazonaws.com/123456789012/${ref}.fifo`;
    case 'AWS::DynamoDB::Table':
      return `stack-${ref}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:sa-east-1:123456789012:secret:${ref}-AbCdEf`;
    default:
      throw new Error(`no stand-in for ${JSON.stringify(value)}`);
  }
}

describe('-c auth=oauth2 -c oauth2Provider=cognito', () => {
  let cognito: Synthesized;
  let intakeEnvironment: Record<string, string>;
  beforeAll(() => {
    cognito = synth({ auth: 'oauth2', oauth2Provider: 'cognito' });
    const intake = Object.values(cognito.resources).find(
      (resource) => resource.Type === 'AWS::Lambda::Function' && /intake/i.test(String(resource.Properties?.Description)),
    );
    const variables = (intake?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    intakeEnvironment = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(value, cognito.resources)]));
  });

  it('creates a user pool nobody can sign up to, with no way in but client credentials', () => {
    cognito.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    cognito.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      DeletionProtection: 'ACTIVE',
    });
  });

  it('creates a prefix domain unique to the stack and account, and a resource server with the one scope', () => {
    const domain = cognito.template.findResources('AWS::Cognito::UserPoolDomain');
    const prefix = resolve(Object.values(domain)[0]?.Properties?.Domain, cognito.resources);
    expect(prefix).toMatch(/^unicowebhook-prod-[a-z0-9]{8}-123456789012$/);
    expect(cognitoDomainPrefixProblem(prefix)).toBeUndefined();
    cognito.template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'unico-webhook',
      Scopes: [Match.objectLike({ ScopeName: 'deliver' })],
    });
  });

  it("creates Unico's client: a generated secret, client credentials only, only that scope, one-hour tokens", () => {
    cognito.template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    const [client] = Object.values(cognito.template.findResources('AWS::Cognito::UserPoolClient'));
    const properties = client?.Properties as Record<string, unknown>;
    expect(properties).toMatchObject({
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes' },
    });
    expect((properties.AllowedOAuthScopes as unknown[]).map((scope) => resolve(scope, cognito.resources))).toEqual(['unico-webhook/deliver']);
    expect(properties.ExplicitAuthFlows).toBeUndefined();
    expect(properties.CallbackURLs).toBeUndefined();
  });

  it("points the intake at the pool: its issuer, its key set, the client's id, the scope; no audience", () => {
    expect(intakeEnvironment).toMatchObject({
      WEBHOOK_AUTH_MODE: 'oauth2',
      OAUTH2_ISSUER: 'https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_AbCdEfGhI',
      OAUTH2_JWKS_URI: 'https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_AbCdEfGhI/.well-known/jwks.json',
      OAUTH2_CLIENT_IDS: '4h2k1example0client0id',
      OAUTH2_REQUIRED_SCOPES: 'unico-webhook/deliver',
    });
    expect(intakeEnvironment.OAUTH2_AUDIENCES).toBeUndefined();
    expect(intakeEnvironment.WEBHOOK_AUTH_SECRET_ARN).toBeUndefined();
  });

  it("is an environment the intake's own config loader accepts once deployed", () => {
    const config = loadIntakeConfig(intakeEnvironment);
    expect(config.auth).toMatchObject({ mode: 'oauth2' });
  });

  it("outputs exactly what Unico's OAuth2 form asks for, and where to read the secret, never the secret", () => {
    const value = (name: string) => resolve(cognito.outputs[name]?.Value, cognito.resources);
    expect(value('UnicoOAuth2TokenUrl')).toBe('https://unicowebhook-prod-1a2b3c4d-123456789012.auth.sa-east-1.amazoncognito.com/oauth2/token');
    expect(value('UnicoOAuth2ClientId')).toBe('4h2k1example0client0id');
    expect(value('UnicoOAuth2Scope')).toBe('unico-webhook/deliver');
    expect(value('UnicoOAuth2ClientSecretCommand')).toBe(
      'aws cognito-idp describe-user-pool-client --region sa-east-1 --user-pool-id sa-east-1_AbCdEfGhI --client-id 4h2k1example0client0id --query UserPoolClient.ClientSecret --output text',
    );
    expect(value('UnicoAuthSetup')).toContain('token URL https://unicowebhook-prod-1a2b3c4d-123456789012.auth.sa-east-1.amazoncognito.com/oauth2/token');
    expect(value('UnicoAuthSetup')).toContain('--query UserPoolClient.ClientSecret');
    // No output reads the client's secret attribute (Fn::GetAtt ClientSecret) or any secret value.
    const outputs = JSON.stringify(cognito.outputs);
    expect(outputs).not.toMatch(/ClientSecret"\]|SecretString|secretsmanager/);
    expect(cognito.outputs.AuthSecretArn).toBeUndefined();
  });

  it('has no generated webhook secret (the client secret lives in Cognito)', () => {
    cognito.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('has no event bus, archive, pipe, bus feed or PutEvents grant by default', () => {
    cognito.template.resourceCountIs('AWS::Events::EventBus', 0);
    cognito.template.resourceCountIs('AWS::Events::Archive', 0);
    cognito.template.resourceCountIs('AWS::Pipes::Pipe', 0);
    expect(JSON.stringify(cognito.resources)).not.toContain('events:PutEvents');
    expect(JSON.stringify(cognito.resources)).not.toContain('RESULTS_BUS_FEED_QUEUE_URL');
    expect(JSON.stringify(cognito.resources)).not.toContain('ResultsBusFeed');
  });
});

/** The processor's environment, as CloudFormation resolves it. */
function processorEnvironment(synthesized: Synthesized): Record<string, string> {
  const processor = Object.values(synthesized.resources).find(
    (resource) => resource.Type === 'AWS::Lambda::Function' && /processor/i.test(String(resource.Properties?.Description)),
  );
  const variables = (processor?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(value, synthesized.resources)]));
}

/** Every statement of the policies attached to the roles whose logical id matches `role`. */
function statementsOf(synthesized: Synthesized, role: RegExp): unknown[] {
  return Object.values(synthesized.resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => (policy.Properties?.Roles as Array<{ Ref: string }>).some((ref) => role.test(ref.Ref)))
    .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: unknown[] }).Statement);
}

const namingEvents = (statements: unknown[]) => statements.filter((statement) => JSON.stringify(statement).includes('events:'));
const queueId = (synthesized: Synthesized, pattern: RegExp) => {
  const ids = Object.keys(synthesized.resources).filter((id) => synthesized.resources[id]?.Type === 'AWS::SQS::Queue' && pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

describe('-c resultsEventBus=true -c resultsArchiveDays=30', () => {
  let created: Synthesized;
  beforeAll(() => {
    created = synth({ resultsEventBus: 'true', resultsArchiveDays: '30' });
  });

  it("creates a bus and an archive of the receiver's events only", () => {
    created.template.resourceCountIs('AWS::Events::EventBus', 1);
    const busId = logicalIdOf(created.resources, 'AWS::Events::EventBus');
    created.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      EventPattern: { source: ['unico.webhook-receiver'] },
      RetentionDays: 30,
    });
  });

  it('pipes the bus feed onto that bus: the CloudEvent as detail, its type as detail type, its time as time', () => {
    const busId = logicalIdOf(created.resources, 'AWS::Events::EventBus');
    const feedId = queueId(created, /^ReceiverResultsBusFeedQueue/);
    created.template.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: { 'Fn::GetAtt': [feedId, 'Arn'] },
      SourceParameters: { SqsQueueParameters: { BatchSize: 10 } },
      Target: { 'Fn::GetAtt': [busId, 'Arn'] },
      TargetParameters: {
        InputTemplate: '<$.body>',
        EventBridgeEventBusParameters: { Source: 'unico.webhook-receiver', DetailType: '$.body.type', Time: '$.body.time' },
      },
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReceiverResultsPipeRole'), 'Arn'] },
    });
    // A FIFO feed with its own dead-letter queue (alarmed like every dead-letter queue).
    created.template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [queueId(created, /^ReceiverResultsBusFeedDeadLetterQueue/), 'Arn'] }, maxReceiveCount: 5 },
    });
    created.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp("bus feed's dead-letter queue"),
      AlarmActions: Match.anyValue(),
    });
  });

  it('grants PutEvents on that bus to the pipe only, and the processor sends to the feed named in its environment', () => {
    const busId = logicalIdOf(created.resources, 'AWS::Events::EventBus');
    const feedId = queueId(created, /^ReceiverResultsBusFeedQueue/);
    expect(namingEvents(statementsOf(created, /ResultsPipeRole/))).toEqual([
      { Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } },
    ]);
    expect(namingEvents(statementsOf(created, /Processor/))).toEqual([]);
    // The pipe consumes the feed and nothing else.
    const pipeSqs = statementsOf(created, /ResultsPipeRole/).filter((statement) => JSON.stringify(statement).includes('sqs:'));
    expect(pipeSqs).toEqual([expect.objectContaining({ Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']), Resource: { 'Fn::GetAtt': [feedId, 'Arn'] } })]);
    const processorSends = statementsOf(created, /Processor/).filter((statement) => JSON.stringify(statement).includes('sqs:SendMessage'));
    expect(processorSends).toContainEqual(expect.objectContaining({ Resource: expect.arrayContaining([{ 'Fn::GetAtt': [feedId, 'Arn'] }]) }));
    const environment = processorEnvironment(created);
    expect(environment.RESULTS_BUS_FEED_QUEUE_URL).toBe(`https://sqs.sa-east-1.amazonaws.com/123456789012/${feedId}.fifo`);
    expect(loadProcessorConfig(environment).resultsBusFeedQueueUrl).toBe(environment.RESULTS_BUS_FEED_QUEUE_URL);
  });

  it('outputs the bus and the archive', () => {
    const busId = logicalIdOf(created.resources, 'AWS::Events::EventBus');
    expect(created.outputs.ResultsEventBusArn?.Value).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(created.outputs.ResultsArchiveName?.Value).toEqual({ Ref: logicalIdOf(created.resources, 'AWS::Events::Archive') });
  });
});

describe('-c resultsEventBus=<an existing bus ARN>', () => {
  const ARN = 'arn:aws:events:sa-east-1:123456789012:event-bus/shared-results';
  let imported: Synthesized;
  beforeAll(() => {
    imported = synth({ resultsEventBus: ARN });
  });

  it('creates no bus, pipes to that one and grants PutEvents on it only', () => {
    imported.template.resourceCountIs('AWS::Events::EventBus', 0);
    imported.template.resourceCountIs('AWS::Events::Archive', 0);
    imported.template.hasResourceProperties('AWS::Pipes::Pipe', { Target: ARN });
    expect(namingEvents(statementsOf(imported, /ResultsPipeRole/))).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: ARN }]);
  });

  it("refuses, in a stack with an environment, a bus of another account or Region: a pipe puts events on its own account's buses only", () => {
    const receiverWith = (arn: string) => {
      const stack = new Stack(new App(), 'Env', { env: { account: '123456789012', region: 'sa-east-1' } });
      return new UnicoWebhookReceiver(stack, 'Receiver', { development: true, auth: { mode: 'none' }, resultsEventBus: EventBus.fromEventBusArn(stack, 'Bus', arn) });
    };
    for (const other of ['arn:aws:events:sa-east-1:111122223333:event-bus/shared', 'arn:aws:events:us-east-1:123456789012:event-bus/shared']) {
      expect(configurationProblems(() => receiverWith(other))).toEqual([expect.stringMatching(/^resultsEventBus: .* another account or Region .* a rule that forwards/)]);
    }
    expect(receiverWith(ARN).resultsPipe).toBeDefined();
  });
});

describe('the context keys of the Cognito option', () => {
  const problemsOf = (context: Record<string, unknown>) => configurationProblems(() => loadStackConfig(context));

  it('needs no issuer with cognito and takes a domain prefix', () => {
    expect(problemsOf({ auth: 'oauth2', oauth2Provider: 'cognito' })).toEqual([]);
    expect(loadStackConfig({ auth: 'oauth2', oauth2Provider: 'cognito', oauth2DomainPrefix: 'acme-unico' }).cognito).toEqual({
      domainPrefix: 'acme-unico',
    });
    expect(loadStackConfig({ auth: 'oauth2', oauth2Issuer: 'https://id.example.com', oauth2ClientIds: 'c' }).cognito).toBeUndefined();
  });

  it("refuses what the pool sets, a prefix against Cognito's rules, and a prefix without cognito", () => {
    expect(problemsOf({ auth: 'oauth2', oauth2Provider: 'cognito', oauth2Issuer: 'https://id.example.com', oauth2Scopes: 's' })).toEqual([
      'oauth2Issuer: not with oauth2Provider=cognito (the pool the stack creates sets it); remove it',
      'oauth2Scopes: not with oauth2Provider=cognito (the pool the stack creates sets it); remove it',
    ]);
    for (const prefix of ['Acme', '-acme', 'acme-', 'my-aws-hook', 'a'.repeat(64)]) {
      expect(problemsOf({ auth: 'oauth2', oauth2Provider: 'cognito', oauth2DomainPrefix: prefix })).toEqual([
        expect.stringMatching(/^oauth2DomainPrefix: must be the prefix of/),
      ]);
    }
    expect(problemsOf({ auth: 'oauth2', oauth2Issuer: 'https://id.example.com', oauth2ClientIds: 'c', oauth2DomainPrefix: 'acme' })).toEqual([
      'oauth2DomainPrefix: applies only with oauth2Provider=cognito; set it or remove oauth2DomainPrefix',
    ]);
    expect(problemsOf({ auth: 'basic', oauth2Provider: 'cognito' })).toEqual([
      'oauth2Provider: applies only when auth is oauth2 (auth is basic); remove it',
    ]);
    expect(problemsOf({ auth: 'oauth2', oauth2Provider: 'okta', oauth2Issuer: 'https://id.example.com', oauth2ClientIds: 'c' })).toEqual([
      expect.stringMatching(/^oauth2Provider: must be oidc .* or cognito/),
    ]);
  });

  it('reads resultsEventBus as true, false or a bus ARN, and the archive only with a bus', () => {
    expect(loadStackConfig({ resultsEventBus: 'true', resultsArchiveDays: '7' })).toMatchObject({ resultsEventBus: true, resultsArchiveDays: 7 });
    expect(loadStackConfig({ resultsEventBus: 'false' }).resultsEventBus).toBeUndefined();
    expect(loadStackConfig({}).resultsEventBus).toBeUndefined();
    expect(problemsOf({ resultsEventBus: 'arn:aws:sqs:sa-east-1:111122223333:queue' })).toEqual([
      expect.stringMatching(/^resultsEventBus: must be true \(a bus created by the stack\), false, or an event bus ARN/),
    ]);
    expect(problemsOf({ resultsArchiveDays: '7' })).toEqual([
      'resultsArchiveDays: applies only with resultsEventBus; set it or remove resultsArchiveDays',
    ]);
  });

  it('names the key meant when one is misspelled', () => {
    expect(problemsOf({ auth: 'oauth2', oauth2provider: 'cognito' })).toContain(
      'oauth2provider: not a context key of this app; did you mean oauth2Provider?',
    );
    expect(problemsOf({ auth: 'oauth2', oauth2Provider: 'cognito', oauth2DomainPrefx: 'acme' })).toContain(
      'oauth2DomainPrefx: not a context key of this app; did you mean oauth2DomainPrefix?',
    );
    expect(problemsOf({ resultsEventbus: 'true' })).toEqual(['resultsEventbus: not a context key of this app; did you mean resultsEventBus?']);
    expect(problemsOf({ resultsArchiveDay: '7' })).toEqual(['resultsArchiveDay: not a context key of this app; did you mean resultsArchiveDays?']);
  });
});

describe("the construct's Cognito props", () => {
  const problems = (props: ConstructorParameters<typeof UnicoWebhookReceiver>[2]) =>
    configurationProblems(() => new UnicoWebhookReceiver(new Stack(new App(), 'Props'), 'Receiver', props));
  const problemsOf = (auth: WebhookAuth) => problems({ auth });

  it("checks the domain prefix, the scope and the token validity against Cognito's limits, all at once", () => {
    expect(
      problemsOf({ mode: 'oauth2', provider: 'cognito', domainPrefix: 'cognito-hook', scope: 'no-slash', accessTokenValidity: Duration.days(2) }),
    ).toEqual([
      'auth.domainPrefix: must not contain "cognito" (reserved by Cognito); got cognito-hook',
      'auth.scope: must be <resource server>/<scope name>, each 1 to 100 letters, digits and ._~-; got no-slash',
      "auth.accessTokenValidity: must be whole minutes from 5 minutes to 1 day (Cognito's limits); got 2 days",
    ]);
  });

  it('refuses an archive without a bus, and a retention out of bounds', () => {
    expect(problems({ resultsArchiveRetention: Duration.days(7) })).toEqual([
      'resultsArchiveRetention: applies only with resultsEventBus; set it or remove resultsArchiveRetention',
    ]);
    expect(problems({ resultsEventBus: true, resultsArchiveRetention: Duration.hours(12), auth: { mode: 'oauth2', provider: 'cognito', domainPrefix: 'aws' } })).toEqual([
      'auth.domainPrefix: must not contain "aws" (reserved by Cognito); got aws',
      'resultsArchiveRetention: must be whole days from 1 to 3650; got 12 hours',
    ]);
  });
});
