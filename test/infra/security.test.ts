/**
 * The defences as deployed: the stage throttle and the intake's reserved concurrency follow
 * Unico's concurrency, the WAF front, encryption on every table and queue, least privilege (no
 * wildcard action, no `Resource: "*"` but where AWS requires it) and no secret value anywhere in
 * the template. One synth per configuration (without bundling: the resources are what is checked),
 * shared by every assertion on it; the props' checks run without a synth.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { App, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { configurationProblems } from '../support/configuration-problems.ts';
import { webhookCapacity } from '../../lambdas/contracts/webhook-capacity.ts';
import { receiverSettings, type UnicoWebhookReceiverProps } from '../../lib/receiver-props.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
const SECRET_ARN = 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf';
const UNICO_SECRET_ARN = 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/service-account-GhIjKl';
const WITH_UNICO = { unicoServiceAccount: 'svc@tenant.iam.acesso.io' };

type Json = Record<string, unknown>;

function synth(context: Record<string, unknown>): Json {
  const { app, stack } = buildApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  return app.synth().getStackByName(stack.stackName).template as Json;
}

const CONFIGURATIONS = {
  /** cdk.json as it is: HTTP API, basic auth with a generated secret. */
  default: {},
  /** Everything on: REST behind WAF, KMS, tracking and the fallback, results on a bus with an archive, generated secrets, 50 in flight. */
  restWafKms: {
    front: 'rest-api-waf',
    kmsKey: 'true',
    unicoConcurrency: '50',
    auth: 'apikey',
    resultsEventBus: 'true',
    resultsArchiveDays: '30',
    ...WITH_UNICO,
  },
  /** Secrets of your own, imported by ARN. */
  imported: { authSecretArn: SECRET_ARN, unicoCredentialsSecretArn: UNICO_SECRET_ARN, ...WITH_UNICO },
} as const;
type Name = keyof typeof CONFIGURATIONS;
const templates = {} as Record<Name, Json>;

beforeAll(() => {
  for (const name of Object.keys(CONFIGURATIONS) as Name[]) templates[name] = synth(CONFIGURATIONS[name]);
});

const resources = (template: Json, type: string): Array<[string, Json]> =>
  Object.entries(template.Resources as Record<string, { Type: string; Properties?: Json }>)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);

describe("one setting for Unico's concurrency", () => {
  test('the default (500 in flight): a 10,000/s stage, burst 1000, 625 reserved for the intake', () => {
    const template = Template.fromJSON(templates.default);

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 10_000, ThrottlingBurstLimit: 1000 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Unico webhook intake'),
      ReservedConcurrentExecutions: 625,
    });
  });

  test('50 in flight on the REST front: its stage, the reserved concurrency and the WAF rule follow', () => {
    const template = Template.fromJSON(templates.restWafKms);
    const capacity = webhookCapacity(50);

    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: capacity.rateLimit, ThrottlingBurstLimit: capacity.burstLimit, DataTraceEnabled: false }),
      ]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Unico webhook intake'),
      ReservedConcurrentExecutions: capacity.intakeReservedConcurrency,
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({ Name: 'RateLimitPerIp', Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: capacity.requestsPerMinute, EvaluationWindowSec: 60 } } }),
      ]),
    });
  });
});

describe('the REST API front behind WAF', () => {
  test('TLS 1.2 at least, regional, no API key, tracking by IAM, the web ACL on the stage', () => {
    const template = Template.fromJSON(templates.restWafKms);

    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_2021_06',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    const methods = resources(templates.restWafKms, 'AWS::ApiGateway::Method').map(([, method]) => `${String(method.HttpMethod)} ${String(method.AuthorizationType)} ${String(method.ApiKeyRequired ?? false)}`);
    expect(methods.sort()).toEqual(['GET AWS_IAM false', 'POST AWS_IAM false', 'POST NONE false', 'PUT AWS_IAM false']);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: Match.anyValue(), WebACLArn: Match.anyValue() });
    template.hasOutput('WebAclArn', {});
    template.hasOutput('ResultsKeyArn', { Description: Match.stringLikeRegexp('kms:Decrypt') });
    expect(Object.keys(templates.default.Outputs as Json)).not.toEqual(expect.arrayContaining(['WebAclArn']));
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      DefaultAction: { Allow: {} },
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'AwsCommonRuleSet',
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({
              Name: 'AWSManagedRulesCommonRuleSet',
              RuleActionOverrides: [
                { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
                { Name: 'NoUserAgent_HEADER', ActionToUse: { Count: {} } },
              ],
            }),
          },
        }),
      ]),
    });
  });

  test('no allow list unless given; with one, everything outside it is blocked first', () => {
    expect(resources(templates.restWafKms, 'AWS::WAFv2::IPSet')).toEqual([]);
    const withList = synth({ front: 'rest-api-waf', allowedSourceCidrs: '203.0.113.0/24' });
    const template = Template.fromJSON(withList);

    template.hasResourceProperties('AWS::WAFv2::IPSet', { Addresses: ['203.0.113.0/24'], IPAddressVersion: 'IPV4' });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([Match.objectLike({ Name: 'BlockOutsideAllowList', Priority: 0, Action: { Block: {} } })]),
    });
  });
});

describe('encryption', () => {
  test.each(Object.keys(CONFIGURATIONS) as Name[])('%s: every table and queue is encrypted at rest', (name) => {
    const tables = resources(templates[name], 'AWS::DynamoDB::Table');
    const queues = resources(templates[name], 'AWS::SQS::Queue');

    expect(tables.length).toBeGreaterThan(0);
    for (const [, table] of tables) expect(table.SSESpecification).toMatchObject({ SSEEnabled: true });
    expect(queues.length).toBeGreaterThanOrEqual(4);
    for (const [id, queue] of queues) expect([id, queue.SqsManagedSseEnabled === true || queue.KmsMasterKeyId !== undefined]).toEqual([id, true]);
  });

  test('with kmsKey: the results queues, the bus feed and the bus use a rotated customer-managed key; the processor may only encrypt with it, the pipe only decrypt', () => {
    const template = templates.restWafKms;
    const [keyId] = resources(template, 'AWS::KMS::Key').map(([id]) => id);
    expect(keyId).toBeDefined();
    Template.fromJSON(template).hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });

    const encrypted = resources(template, 'AWS::SQS::Queue').filter(([, queue]) => queue.KmsMasterKeyId !== undefined).map(([id]) => id);
    expect(encrypted.sort()).toEqual([
      expect.stringMatching(/^ReceiverResultsBusFeedDeadLetterQueue/),
      expect.stringMatching(/^ReceiverResultsBusFeedQueue/),
      expect.stringMatching(/^ReceiverResultsDeadLetterQueue/),
      expect.stringMatching(/^ReceiverResultsQueue/),
    ]);
    // The bus created for the results copy is under the same key.
    Template.fromJSON(template).hasResourceProperties('AWS::Events::EventBus', { KmsKeyIdentifier: { 'Fn::GetAtt': [keyId, 'Arn'] } });

    const kmsGrants = statements(template)
      .filter((entry) => [entry.statement.Action].flat().some((action) => String(action).startsWith('kms:')) && entry.type === 'AWS::IAM::Policy')
      .map((entry) => ({ policy: entry.id, actions: [entry.statement.Action].flat() }));
    // The processor encrypts what it sends; the pipe decrypts what it reads from the feed; nobody else.
    expect(kmsGrants).toEqual([
      { policy: expect.stringMatching(/^ReceiverResultsPipeRole/), actions: ['kms:Decrypt'] },
      { policy: expect.stringMatching(/^ReceiverProcessorProcessorRole/), actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
    ]);
  });
});

interface FoundStatement {
  readonly type: string;
  readonly id: string;
  readonly statement: { Effect: string; Action?: unknown; Resource?: unknown; Principal?: unknown };
}

/** Every statement of every IAM policy: identity policies, role inline policies, resource policies. */
function statements(template: Json): FoundStatement[] {
  const documents: Array<[string, string, unknown]> = [];
  for (const [id, resource] of Object.entries(template.Resources as Record<string, { Type: string; Properties?: Json }>)) {
    const properties = resource.Properties ?? {};
    if (['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SecretsManager::ResourcePolicy'].includes(resource.Type)) {
      documents.push([resource.Type, id, properties.PolicyDocument ?? properties.ResourcePolicy]);
    }
    if (resource.Type === 'AWS::KMS::Key') documents.push([resource.Type, id, properties.KeyPolicy]);
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of (properties.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []) documents.push([resource.Type, id, inline.PolicyDocument]);
    }
  }
  return documents.flatMap(([type, id, document]) =>
    ((document as { Statement: FoundStatement['statement'][] }).Statement ?? []).map((statement) => ({ type, id, statement })),
  );
}

/**
 * Where AWS requires `Resource: "*"` or a wildcard action, with the reason. The only one: a KMS
 * key's default policy lets the account (root) administer the key, without which IAM policies
 * cannot grant its use and the key could become unmanageable.
 */
const REQUIRED_WILDCARDS = [
  {
    reason: "a KMS key policy's statement for the account itself (kms:* on the key): AWS's default key policy",
    matches: (entry: FoundStatement) =>
      entry.type === 'AWS::KMS::Key' &&
      JSON.stringify(entry.statement.Principal).includes(':root') &&
      JSON.stringify(entry.statement.Action) === '"kms:*"',
  },
  {
    reason:
      "a KMS key policy's statement for EventBridge (the bus encrypted with the key): in a key policy `Resource: \"*\"` is the key itself, and the conditions name the bus",
    matches: (entry: FoundStatement) =>
      entry.type === 'AWS::KMS::Key' &&
      JSON.stringify(entry.statement.Principal) === '{"Service":"events.amazonaws.com"}' &&
      [entry.statement.Action].flat().every((action) => !String(action).includes('*')) &&
      (JSON.stringify((entry.statement as { Condition?: unknown }).Condition) ?? '').includes('event-bus'),
  },
];

/** What is wrong with the template's allow statements: wildcard actions, and `Resource: "*"`. */
function wildcardProblems(template: Json): string[] {
  return statements(template)
    .filter((entry) => entry.statement.Effect === 'Allow' && !REQUIRED_WILDCARDS.some((exception) => exception.matches(entry)))
    .flatMap((entry) => [
      ...[entry.statement.Action].flat().filter((action) => String(action).includes('*')).map((action) => `${entry.id}: action ${String(action)}`),
      ...[entry.statement.Resource].flat().filter((resource) => resource === '*').map(() => `${entry.id}: Resource "*"`),
    ]);
}

describe('least privilege', () => {
  test.each(Object.keys(CONFIGURATIONS) as Name[])('%s: no wildcard action and no Resource "*" in any policy', (name) => {
    expect(statements(templates[name]).length).toBeGreaterThan(10);
    expect(wildcardProblems(templates[name])).toEqual([]);
  });

  test('the check refuses a wildcard action and a Resource "*", and lets only the named exception through', () => {
    const template = {
      Resources: {
        Loose: {
          Type: 'AWS::IAM::Policy',
          Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sqs:*'], Resource: '*' }, { Effect: 'Deny', Action: 'sqs:*', Resource: '*' }] } },
        },
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*', Principal: { AWS: 'arn:aws:iam::1:root' } }, { Effect: 'Allow', Action: 'kms:*', Resource: '*', Principal: { AWS: 'arn:aws:iam::1:role/x' } }] } },
        },
      },
    };

    expect(wildcardProblems(template)).toEqual(['Loose: action sqs:*', 'Loose: Resource "*"', 'Key: action kms:*', 'Key: Resource "*"']);
  });
});

/**
 * Strings that look like a secret value: a PEM block, an AWS access key, a Basic header, a JSON
 * password or key value (a `<placeholder>` aside), or a run of 20+ letters and digits mixing cases and digits once the
 * template's own logical ids and asset hashes are taken out.
 */
function secretLookingStrings(template: Json): string[] {
  const strings: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(template);
  const logicalIds = Object.keys(template.Resources as Json).sort((a, b) => b.length - a.length);
  return strings.flatMap((text) => {
    let rest = text;
    for (const id of logicalIds) rest = rest.split(id).join(' ');
    rest = rest.replace(/\b[0-9a-f]{64}\b/g, ' ');
    const suspicious = [
      ...(rest.match(/-----BEGIN [A-Z ]+-----|AKIA[0-9A-Z]{16}|Basic (?=[A-Za-z0-9+/]*[0-9A-Z+/])[A-Za-z0-9+/]{12,}={0,2}|"(password|value|privateKey|apiKey)"\s*:\s*"[^"<][^"]{7,}"/g) ?? []),
      ...(rest.match(/[A-Za-z0-9+/]{20,}/g) ?? []).filter((run) => /[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run)),
    ];
    return suspicious;
  });
}

describe('no secret value in the template', () => {
  test.each(Object.keys(CONFIGURATIONS) as Name[])('%s: nothing secret-looking, and no secret carries a value', (name) => {
    expect(secretLookingStrings(templates[name])).toEqual([]);
    for (const [, secret] of resources(templates[name], 'AWS::SecretsManager::Secret')) {
      expect(secret.SecretString).toBeUndefined();
      // A generated secret's template holds only what is not secret: the user name or header.
      const generate = secret.GenerateSecretString as { SecretStringTemplate: string; GenerateStringKey: string };
      expect(['password', 'value', 'placeholder']).toContain(generate.GenerateStringKey);
      expect(generate.SecretStringTemplate).toMatch(/^\{("(username|header|privateKey)":"[^"]{0,40}",?)*\}$/);
    }
  });

  test('generated secrets in the default, none with imported ARNs, which the functions read', () => {
    expect(resources(templates.default, 'AWS::SecretsManager::Secret')).toHaveLength(1);
    expect(resources(templates.imported, 'AWS::SecretsManager::Secret')).toHaveLength(0);
    const json = JSON.stringify(templates.imported);
    expect(json).toContain(SECRET_ARN);
    expect(json).toContain(UNICO_SECRET_ARN);
  });

  test('the search finds a value put in the template', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Leaky');
    new Secret(stack, 'Leaked', { secretStringValue: SecretValue.unsafePlainText('{"password":"K7xq9Lm2Pw4Rt8Vz3Nb6"}') });

    expect(secretLookingStrings(Template.fromStack(stack).toJSON())).toEqual(['"password":"K7xq9Lm2Pw4Rt8Vz3Nb6"', 'K7xq9Lm2Pw4Rt8Vz3Nb6']);
  });
});

describe('props checked at synth', () => {
  const problems = (props: UnicoWebhookReceiverProps) => configurationProblems(() => receiverSettings(props));

  test('intakeVisibilityTimeout: from 6 processor timeouts to the deduplication window less one run', () => {
    expect(problems({ intakeVisibilityTimeout: Duration.seconds(180) })).toEqual([]);
    expect(problems({ intakeVisibilityTimeout: Duration.seconds(270) })).toEqual([]);
    for (const seconds of [179, 271]) {
      expect(problems({ intakeVisibilityTimeout: Duration.seconds(seconds) })).toEqual([
        expect.stringMatching(/^intakeVisibilityTimeout: must be whole seconds from 180 \(6 × the processor's 30-second timeout.*to 270 \(.*300-second FIFO deduplication window.*docs\/architecture\.md\); got/),
      ]);
    }
  });

  test('an explicit throttle below the derived one is refused outside development; above the account limits, always', () => {
    expect(problems({ unicoConcurrency: 10, throttling: { rateLimit: 100, burstLimit: 10 } })).toEqual([
      'throttling.rateLimit: 100 is below the 200 derived from unicoConcurrency 10, so a backlog flush would get 429s; lower unicoConcurrency (and Unico\'s form) instead, or set development=true',
      'throttling.burstLimit: 10 is below the 20 derived from unicoConcurrency 10, so a backlog flush would get 429s; lower unicoConcurrency (and Unico\'s form) instead, or set development=true',
    ]);
    expect(problems({ unicoConcurrency: 10, throttling: { rateLimit: 100, burstLimit: 10 }, development: true, auth: { mode: 'none' } })).toEqual([]);
    expect(problems({ throttling: { rateLimit: 20_000 } })).toEqual([expect.stringMatching(/^throttling: gives a stage rate of 20000 requests\/s, above API Gateway's account limit/)]);
    expect(problems({ unicoConcurrency: 600 })).toEqual([expect.stringMatching(/^unicoConcurrency: must be a whole number from 1 to 500/)]);
  });

  test('the WAF settings: only with the REST front, real CIDRs, a non-empty allow list, a limit WAF takes', () => {
    expect(problems({ waf: { rateLimitPerIp: 100 } })).toEqual(["waf: applies only with front: 'rest-api-waf'"]);
    expect(problems({ front: 'rest-api-waf', waf: { rateLimitPerIp: 5, allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32', '10.0.0.0/33', 'unico'] } })).toEqual([
      'waf.rateLimitPerIp: must be a whole number from 10 to 2000000000 (requests per address per minute); got 5',
      'waf.allowedSourceCidrs: 10.0.0.0/33 is not an IPv4 or IPv6 CIDR (e.g. 203.0.113.0/24)',
      'waf.allowedSourceCidrs: unico is not an IPv4 or IPv6 CIDR (e.g. 203.0.113.0/24)',
    ]);
    expect(problems({ front: 'rest-api-waf', waf: { allowedSourceCidrs: [] } })).toEqual([
      'waf.allowedSourceCidrs: an empty list would refuse every request; leave it out to allow all addresses',
    ]);
  });
});
