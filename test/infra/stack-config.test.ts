import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { configurationProblems } from '../support/configuration-problems.ts';
import { loadStackConfig } from '../../lib/stack-config.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

/** The problems a context gives, or [] when it is valid. */
const problemsOf = (context: Record<string, unknown>) => configurationProblems(() => loadStackConfig(context));

describe('loadStackConfig', () => {
  it('gives the secure defaults for an empty context', () => {
    // Prepare / Act
    const config = loadStackConfig({});

    // Assess
    expect(config).toEqual({
      stage: 'prod',
      development: false,
      auth: { mode: 'basic' },
      responseDeadlineSeconds: 5,
      claimRetentionDays: 90,
      processorMaxConcurrency: 5,
      outcomeRetryPeriodHours: 3,
      fallback: {},
      defences: { unicoConcurrency: 500, front: 'http-api', kmsKey: false },
      tracing: false,
    });
  });

  it('reads alarmEmail and tracing, and refuses an address that is not one', () => {
    expect(loadStackConfig({ alarmEmail: 'oncall@example.com', tracing: 'true' })).toMatchObject({ alarmEmail: 'oncall@example.com', tracing: true });
    expect(() => loadStackConfig({ alarmEmail: 'oncall' })).toThrow(/alarmEmail/);
  });

  it('reads the defences: concurrency, front, WAF, key and secrets of your own, each where it applies', () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf';
    const context = {
      unicoConcurrency: '50',
      front: 'rest-api-waf',
      wafRateLimitPerIp: '3000',
      allowedSourceCidrs: '203.0.113.0/24,2001:db8::/32',
      kmsKey: 'true',
      authSecretArn: arn,
      unicoServiceAccount: 'svc@tenant.iam.acesso.io',
      unicoCredentialsSecretArn: arn.replace('webhook', 'service-account'),
    };

    // Act / Assess
    expect(loadStackConfig(context).defences).toEqual({
      unicoConcurrency: 50,
      front: 'rest-api-waf',
      wafRateLimitPerIp: 3000,
      allowedSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
      kmsKey: true,
      authSecretArn: arn,
      unicoCredentialsSecretArn: arn.replace('webhook', 'service-account'),
    });
    expect(problemsOf({ unicoConcurrency: '501', authSecretArn: 'arn:aws:s3:::bucket' })).toEqual([
      expect.stringMatching(/^unicoConcurrency: must be an integer from 1 to 500 /),
      expect.stringMatching(/^authSecretArn: must be the complete ARN of a Secrets Manager secret/),
    ]);
    expect(problemsOf({ wafRateLimitPerIp: '100', auth: 'oauth2', oauth2Issuer: 'https://id.example.com', oauth2ClientIds: 'c', authSecretArn: arn, unicoCredentialsSecretArn: arn })).toEqual([
      'wafRateLimitPerIp: applies only when front is rest-api-waf (front is http-api); set it or remove wafRateLimitPerIp',
      'authSecretArn: applies only when auth is basic or apikey (auth is oauth2); remove it',
      'unicoCredentialsSecretArn: applies only with unicoServiceAccount (outcome fetching); set it or remove unicoCredentialsSecretArn',
    ]);
  });

  it('reads -c key=value strings (numbers, booleans, comma lists) and ignores foreign keys', () => {
    const config = loadStackConfig({
      '@aws-cdk/core:checkSecretUsage': true,
      stage: 'dev-1',
      development: 'true',
      auth: 'oauth2',
      oauth2Issuer: 'http://localhost:8080/realms/unico',
      oauth2Audiences: 'webhook, other',
      oauth2ClientIds: ['unico-client'],
      oauth2Scopes: '',
      responseDeadlineSeconds: '12',
      claimRetentionDays: 30,
      outcomeRetryPeriodHours: '12',
    });

    expect(config).toEqual({
      stage: 'dev-1',
      development: true,
      auth: {
        mode: 'oauth2',
        issuer: 'http://localhost:8080/realms/unico',
        audiences: ['webhook', 'other'],
        clientIds: ['unico-client'],
        requiredScopes: [],
        keysMaxStaleSeconds: 86_400,
      },
      responseDeadlineSeconds: 12,
      claimRetentionDays: 30,
      processorMaxConcurrency: 5,
      outcomeRetryPeriodHours: 12,
      defences: { unicoConcurrency: 500, front: 'http-api', kmsKey: false },
      fallback: {},
      tracing: false,
    });
  });

  it('defaults the apikey header to Authorization and keeps a custom one', () => {
    expect(loadStackConfig({ auth: 'apikey' }).auth).toEqual({ mode: 'apikey', header: 'Authorization' });
    expect(loadStackConfig({ auth: 'apikey', apiKeyHeader: 'X-Api-Key' }).auth).toEqual({
      mode: 'apikey',
      header: 'X-Api-Key',
    });
  });

  it('refuses auth none outside a development stage, with the way out', () => {
    expect(problemsOf({ auth: 'none' })).toEqual([
      'auth: none is for development stages only; set development=true or choose basic, apikey or oauth2',
    ]);
    expect(problemsOf({ auth: 'none', development: true })).toEqual([]);
  });

  it('refuses oauth2 without an audience or a client id, and without an issuer', () => {
    const problems = problemsOf({ auth: 'oauth2' });

    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^oauth2Issuer: required when auth is oauth2/);
    expect(problems[1]).toMatch(/^oauth2Audiences: oauth2 needs at least one audience .* or client id/);
    expect(problemsOf({ auth: 'oauth2', oauth2Issuer: 'https://id.example.com', oauth2ClientIds: 'c1' })).toEqual([]);
  });

  it('allows an http issuer only in a development stage', () => {
    const context = { auth: 'oauth2', oauth2Issuer: 'http://id.example.com', oauth2Audiences: 'a' };

    expect(problemsOf(context)).toEqual([
      'oauth2Issuer: must use https; http is allowed only when development is true',
    ]);
    expect(problemsOf({ ...context, development: 'true' })).toEqual([]);
  });

  it.each([
    ['0', /^responseDeadlineSeconds: must be an integer from 1 to 30 .*\(got "0"\)$/],
    [31, /^responseDeadlineSeconds: must be an integer from 1 to 30 .*\(got 31\)$/],
    ['2.5', /^responseDeadlineSeconds: must be an integer from 1 to 30/],
    ['five', /^responseDeadlineSeconds: must be an integer from 1 to 30/],
  ])('refuses the deadline %p', (value, message) => {
    const problems = problemsOf({ responseDeadlineSeconds: value });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every problem together, one line per key, in one error', () => {
    // Prepare
    const context = {
      stage: 'Prod_1',
      development: 'yes',
      auth: 'oauth',
      responseDeadlineSeconds: 60,
      claimRetentionDays: 0,
      apiKeyHeader: 'X Api Key',
    };

    // Act
    let thrown: unknown;
    try {
      loadStackConfig(context);
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const error = thrown as ConfigurationError;
    expect(error.problems.map((problem) => problem.split(':')[0])).toEqual([
      'stage',
      'development',
      'auth',
      'apiKeyHeader',
      'responseDeadlineSeconds',
      'claimRetentionDays',
    ]);
    expect(error.problems).toContain('auth: must be one of none, basic, apikey, oauth2 (got "oauth")');
    expect(error.problems).toContain('development: must be true or false (got "yes")');
    expect(error.message).toMatch(/^Invalid CDK context/);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it('reads how long the last keys read keep verifying during a provider outage, 1 to 168 hours', () => {
    const oauth2 = { auth: 'oauth2', oauth2Issuer: 'https://id.example.com', oauth2Audiences: 'webhook' };

    const config = loadStackConfig({ ...oauth2, oauth2KeysMaxStaleHours: '48' });

    expect(config.auth).toEqual(expect.objectContaining({ mode: 'oauth2', keysMaxStaleSeconds: 48 * 3600 }));
    expect(problemsOf({ ...oauth2, oauth2KeysMaxStaleHours: '0' })).toEqual([
      'oauth2KeysMaxStaleHours: must be an integer from 1 to 168 (hours the last keys read keep verifying while the provider fails) (got "0")',
    ]);
    expect(problemsOf({ auth: 'basic', oauth2KeysMaxStaleHours: 48 })).toEqual([
      'oauth2KeysMaxStaleHours: applies only when auth is oauth2 (auth is basic); remove it',
    ]);
  });

  it('turns outcome fetching on with a Unico service account, with production defaults', () => {
    expect(loadStackConfig({}).unico).toBeUndefined();
    expect(loadStackConfig({ unicoServiceAccount: 'svc@tenant.iam.acesso.io', unicoMaxRps: '3' }).unico).toEqual({
      serviceAccount: 'svc@tenant.iam.acesso.io',
      contract: 'web-sdk',
      maxRequestsPerSecond: 3,
    });
    expect(problemsOf({ unicoContract: 'api' })).toEqual([
      'unicoContract: applies only with unicoServiceAccount (outcome fetching); set it or remove unicoContract',
    ]);
    expect(problemsOf({ unicoServiceAccount: 'svc@t', unicoApiBaseUrl: 'http://api.example.com' })).toEqual([
      'unicoApiBaseUrl: must use https',
    ]);
  });

  it('refuses settings of another auth mode instead of silently ignoring them', () => {
    expect(problemsOf({ auth: 'basic', apiKeyHeader: 'X-Api-Key', oauth2Issuer: 'https://id.example.com' })).toEqual([
      'apiKeyHeader: applies only when auth is apikey (auth is basic); remove it',
      'oauth2Issuer: applies only when auth is oauth2 (auth is basic); remove it',
    ]);
  });

  it('refuses list items with spaces inside (they are joined with commas for the Lambda)', () => {
    const problems = problemsOf({
      auth: 'oauth2',
      oauth2Issuer: 'https://id.example.com',
      oauth2Audiences: ['a b'],
    });

    expect(problems).toEqual([
      'oauth2Audiences: items must be non-empty, without commas or spaces',
    ]);
  });

  it('stops at a key that looks like one of its own, naming the key meant', () => {
    expect(problemsOf({ authMode: 'apikey' })).toEqual(['authMode: not a context key of this app; did you mean auth?']);
    expect(problemsOf({ Stage: 'dev', apiKeyHeadr: 'X-Api-Key', responseDeadline: '10' })).toEqual([
      'Stage: not a context key of this app; did you mean stage?',
      'apiKeyHeadr: not a context key of this app; did you mean apiKeyHeader?',
      'responseDeadline: not a context key of this app; did you mean responseDeadlineSeconds?',
    ]);
  });

  it('leaves alone feature flags, the CDK own keys and keys like none of its own', () => {
    expect(
      problemsOf({
        '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
        'aws:cdk:enable-path-metadata': true,
        team: 'payments',
        costCenter: '42',
      }),
    ).toEqual([]);
  });
});

describe('the app', () => {
  it('reads every context key it is given, so a misspelled -c stops the synth', () => {
    expect(() => buildApp({ context: { authMode: 'apikey' } })).toThrow(/authMode: not a context key of this app; did you mean auth\?/);
  });
});

