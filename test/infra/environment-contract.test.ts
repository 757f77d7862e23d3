/**
 * The environment the CDK writes for each function is what that function's own config loader
 * accepts: synthesize the stack, take the function's environment, stand in plausible values for
 * what CloudFormation resolves at deploy time, and load it.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { INTAKE_SETTING_NAMES, loadIntakeConfig } from '../../lambdas/intake/config.ts';
import { loadProcessorConfig, PROCESSOR_SETTING_NAMES } from '../../lambdas/processor/config.ts';
import { FALLBACK_SETTING_NAMES, loadFallbackConfig } from '../../lambdas/fallback/config.ts';
import { loadTrackingConfig, TRACKING_SETTING_NAMES } from '../../lambdas/tracking/config.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

interface CfnResource {
  readonly Type: string;
  readonly Properties?: {
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
    readonly Description?: string;
  };
}

/** What the Lambda runtime and Powertools read, not the function's own loader. */
const PLATFORM_SETTINGS = /^(POWERTOOLS_|NODE_OPTIONS$|AWS_)/;

function synthesizedEnvironment(context: Record<string, unknown>, description: RegExp) {
  const { app, stack } = buildApp({ context: { ...cdkJson.context, ...context } });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, CfnResource> };
  const resources = template.Resources;
  const [fn] = Object.values(resources).filter(
    (resource) => resource.Type === 'AWS::Lambda::Function' && description.test(resource.Properties?.Description ?? ''),
  );
  const variables = fn?.Properties?.Environment?.Variables ?? {};
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, deployTimeValue(value, resources)]));
}

/** A stand-in for a value CloudFormation resolves at deploy time, shaped as the real one is. */
function deployTimeValue(value: unknown, resources: Record<string, CfnResource>): string {
  if (typeof value === 'string') return value;
  const reference = (value as { Ref?: string }).Ref;
  const type = reference === undefined ? undefined : resources[reference]?.Type;
  switch (type) {
    case 'AWS::SQS::Queue':
      return `https://sqs.sa-east-1.amazonaws.com/123456789012/${reference}.fifo`;
    case 'AWS::DynamoDB::Table':
      return `stack-${reference}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:sa-east-1:123456789012:secret:${reference}-AbCdEf`;
    default:
      throw new Error(`no stand-in for ${JSON.stringify(value)}`);
  }
}

const MODES = {
  basic: {},
  apikey: { auth: 'apikey', apiKeyHeader: 'X-Api-Key' },
  oauth2: {
    auth: 'oauth2',
    oauth2Issuer: 'https://id.example.com/realms/unico',
    oauth2Audiences: 'unico-webhook',
    oauth2Scopes: 'webhook.write',
    oauth2KeysMaxStaleHours: '36',
  },
  none: { stage: 'dev', development: 'true', auth: 'none' },
} as const;

describe('intake: the environment the CDK writes is what loadIntakeConfig reads', () => {
  it.each(Object.entries(MODES))('%s: every variable written is one the intake reads, and it loads', (mode, context) => {
    // Act
    const env = synthesizedEnvironment({ ...context, responseDeadlineSeconds: '7', claimRetentionDays: '30' }, /intake/i);
    const config = loadIntakeConfig(env);

    // Assess
    const written = Object.keys(env).filter((name) => !PLATFORM_SETTINGS.test(name));
    expect(written.filter((name) => !INTAKE_SETTING_NAMES.includes(name))).toEqual([]);
    expect(config.auth.mode).toBe(mode);
    expect(config.responseDeadlineMs).toBe(7000);
    expect(config.claimRetentionDays).toBe(30);
    expect(config.claimsTableName).toMatch(/^stack-.*ClaimsTable/);
    expect(config.intakeQueueUrl).toMatch(/IntakeQueue/);
  });

  it('the auth settings survive the trip: header, issuer, lists and the keys stale period', () => {
    // Act
    const apikey = loadIntakeConfig(synthesizedEnvironment(MODES.apikey, /intake/i));
    const oauth2 = loadIntakeConfig(synthesizedEnvironment(MODES.oauth2, /intake/i));

    // Assess
    expect(apikey.auth).toEqual(
      expect.objectContaining({ mode: 'apikey', apiKeyHeader: 'X-Api-Key', secretArn: expect.stringMatching(/AuthSecret/) }),
    );
    expect(oauth2.auth).toEqual({
      mode: 'oauth2',
      oauth2: {
        issuer: 'https://id.example.com/realms/unico',
        audiences: ['unico-webhook'],
        clientIds: [],
        requiredScopes: ['webhook.write'],
      },
      keysMaxStaleSeconds: 36 * 3600,
    });
  });
});

describe('processor: the environment the CDK writes is what loadProcessorConfig reads', () => {
  it.each([
    ['without outcome fetching', {}],
    ['with Unico (api contract)', { unicoServiceAccount: 'svc@tenant.iam.acesso.io', unicoContract: 'api', unicoMaxRps: '4' }],
  ])('%s: every variable written is one the processor reads, and it loads', (_case, context) => {
    // Act
    const env = synthesizedEnvironment({ ...context, claimRetentionDays: '30' }, /processor/i);
    const config = loadProcessorConfig(env);

    // Assess
    const written = Object.keys(env).filter((name) => !PLATFORM_SETTINGS.test(name));
    expect(written.filter((name) => !PROCESSOR_SETTING_NAMES.includes(name))).toEqual([]);
    expect(config.claimRetentionDays).toBe(30);
    expect(config.eventSource).toBe('UnicoWebhook-prod');
    expect(config.intakeQueueUrl).toMatch(/IntakeQueue/);
    expect(config.resultsQueueUrl).toMatch(/ResultsQueue/);
    if ('unicoServiceAccount' in context) {
      expect(config.unico).toEqual({
        contract: 'api',
        apiBaseUrl: 'https://api.id.unico.app',
        identityUrl: 'https://identity.acesso.io',
        serviceAccount: 'svc@tenant.iam.acesso.io',
        maxRequestsPerSecond: 4,
        secretArn: expect.stringMatching(/UnicoCredentials/),
      });
    } else {
      expect(config.unico).toBeUndefined();
    }
  });
});

describe('tracking and fallback: the environment the CDK writes is what their loaders read', () => {
  const WITH_UNICO = {
    unicoServiceAccount: 'svc@tenant.iam.acesso.io',
    fallbackFirstCheckSeconds: '600',
    fallbackBackoffFactor: '3',
    fallbackMaxCheckIntervalSeconds: '7200',
  };

  it('tracking: every variable written is one it reads, and the schedule survives the trip', () => {
    // Act
    const env = synthesizedEnvironment(WITH_UNICO, /process tracking/i);
    const config = loadTrackingConfig(env);

    // Assess
    const written = Object.keys(env).filter((name) => !PLATFORM_SETTINGS.test(name));
    expect(written.filter((name) => !TRACKING_SETTING_NAMES.includes(name))).toEqual([]);
    expect(config.trackingTableName).toMatch(/TrackingTable/);
    expect(config.schedule).toEqual(expect.objectContaining({ firstCheckSeconds: 600, backoffFactor: 3, maxCheckIntervalSeconds: 7200 }));
  });

  it('fallback: every variable written is one it reads, and it loads with the Unico settings', () => {
    // Act
    const env = synthesizedEnvironment({ ...WITH_UNICO, claimRetentionDays: '30' }, /webhook fallback/i);
    const config = loadFallbackConfig(env);

    // Assess
    const written = Object.keys(env).filter((name) => !PLATFORM_SETTINGS.test(name));
    expect(written.filter((name) => !FALLBACK_SETTING_NAMES.includes(name))).toEqual([]);
    expect(config.trackingTableName).toMatch(/TrackingTable/);
    expect(config.claimsTableName).toMatch(/ClaimsTable/);
    expect(config.claimRetentionDays).toBe(30);
    expect(config.intakeQueueUrl).toMatch(/IntakeQueue/);
    expect(config.schedule).toEqual(expect.objectContaining({ firstCheckSeconds: 600, backoffFactor: 3, maxCheckIntervalSeconds: 7200 }));
    expect(config.unico).toEqual(
      expect.objectContaining({ serviceAccount: 'svc@tenant.iam.acesso.io', secretArn: expect.stringMatching(/UnicoCredentials/) }),
    );
  });
});
