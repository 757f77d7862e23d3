import { describe, expect, test } from '@jest/globals';
import { thrownBy } from '../../support/unit/caught-errors.ts';
import { loadIntakeConfig } from '../../../lambdas/intake/config.ts';
import { ConfigurationError } from '../../../lambdas/core/errors.ts';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';

function configError(env: NodeJS.ProcessEnv): ConfigurationError {
  try {
    loadIntakeConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected the configuration to be refused');
}

const basicEnv: NodeJS.ProcessEnv = {
  CLAIMS_TABLE_NAME: 'claims',
  INTAKE_QUEUE_URL: QUEUE_URL,
  WEBHOOK_AUTH_MODE: 'basic',
  WEBHOOK_AUTH_SECRET_ARN: SECRET_ARN,
};

const oauth2Env: NodeJS.ProcessEnv = {
  CLAIMS_TABLE_NAME: 'claims',
  INTAKE_QUEUE_URL: QUEUE_URL,
  WEBHOOK_AUTH_MODE: 'oauth2',
  OAUTH2_ISSUER: 'https://idp.example.com/oauth2',
  OAUTH2_AUDIENCES: 'unico-webhooks',
};

describe('loadIntakeConfig', () => {
  test('reads a complete environment', () => {
    // Act
    const config = loadIntakeConfig({
      CLAIMS_TABLE_NAME: 'claims',
      INTAKE_QUEUE_URL: QUEUE_URL,
      RESPONSE_DEADLINE_MS: '4000',
      CLAIM_RETENTION_DAYS: '30',
      WEBHOOK_AUTH_MODE: 'oauth2',
      WEBHOOK_AUTH_SECRET_MAX_AGE_SECONDS: '60',
      WEBHOOK_API_KEY_HEADER: 'X-Api-Key',
      OAUTH2_ISSUER: 'https://idp.example.com/oauth2',
      OAUTH2_JWKS_URI: 'https://idp.example.com/oauth2/keys',
      OAUTH2_AUDIENCES: 'unico-webhooks',
      OAUTH2_CLIENT_IDS: 'unico-client',
      OAUTH2_REQUIRED_SCOPES: 'webhooks:write',
      OAUTH2_KEYS_MAX_STALE_SECONDS: '7200',
    });

    // Assess
    expect(config).toEqual({
      claimsTableName: 'claims',
      intakeQueueUrl: QUEUE_URL,
      responseDeadlineMs: 4000,
      claimRetentionDays: 30,
      auth: {
        mode: 'oauth2',
        oauth2: {
          issuer: 'https://idp.example.com/oauth2',
          jwksUri: 'https://idp.example.com/oauth2/keys',
          audiences: ['unico-webhooks'],
          clientIds: ['unico-client'],
          requiredScopes: ['webhooks:write'],
        },
        keysMaxStaleSeconds: 7200,
      },
    });
  });

  test('keys outlive a key-set outage for 24 hours unless told otherwise, and never less than 10 minutes', () => {
    // Act
    const config = loadIntakeConfig(oauth2Env);
    const error = thrownBy(() => loadIntakeConfig({ ...oauth2Env, OAUTH2_KEYS_MAX_STALE_SECONDS: '60' }));

    // Assess
    expect(config.auth).toEqual(expect.objectContaining({ keysMaxStaleSeconds: 86_400 }));
    expect((error as Error).message).toContain('OAUTH2_KEYS_MAX_STALE_SECONDS');
  });

  test('basic mode with its secret ARN is complete', () => {
    // Act
    const config = loadIntakeConfig(basicEnv);

    // Assess
    expect(config.auth).toEqual({
      mode: 'basic',
      secretArn: SECRET_ARN,
      secretMaxAgeSeconds: 300,
      apiKeyHeader: 'Authorization',
    });
  });

  test('optional numbers fall back to defaults inside their allowed ranges', () => {
    // Act
    const config = loadIntakeConfig(basicEnv);

    // Assess
    expect(config.responseDeadlineMs).toBeGreaterThanOrEqual(1000);
    expect(config.responseDeadlineMs).toBeLessThanOrEqual(60_000);
    expect(config.claimRetentionDays).toBeGreaterThanOrEqual(1);
    expect(config.auth.mode === 'basic' && config.auth.secretMaxAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  test('parses comma lists, trimming blanks and dropping empty items', () => {
    // Act
    const config = loadIntakeConfig({
      ...oauth2Env,
      OAUTH2_AUDIENCES: ' a , b,,c ',
      OAUTH2_CLIENT_IDS: 'one,two',
      OAUTH2_REQUIRED_SCOPES: '',
    });

    // Assess
    expect(config.auth.mode === 'oauth2' && config.auth.oauth2).toEqual(
      expect.objectContaining({ audiences: ['a', 'b', 'c'], clientIds: ['one', 'two'], requiredScopes: [] }),
    );
  });

  test('oauth2 with client ids only is enough', () => {
    // Act
    const config = loadIntakeConfig({ ...oauth2Env, OAUTH2_AUDIENCES: undefined, OAUTH2_CLIENT_IDS: 'unico-client' });

    // Assess
    expect(config.auth.mode === 'oauth2' && config.auth.oauth2.clientIds).toEqual(['unico-client']);
  });

  test('refuses a missing table name', () => {
    // Act
    const error = configError({ ...basicEnv, CLAIMS_TABLE_NAME: undefined });

    // Assess
    expect(error.message).toContain('CLAIMS_TABLE_NAME');
  });

  test('refuses an empty table name instead of defaulting it', () => {
    // Act
    const error = configError({ ...basicEnv, CLAIMS_TABLE_NAME: '' });

    // Assess
    expect(error.message).toContain('CLAIMS_TABLE_NAME');
  });

  test.each([['basic'], ['apikey']])('%s mode without a secret ARN is refused', (mode) => {
    // Act
    const error = configError({ ...basicEnv, WEBHOOK_AUTH_MODE: mode, WEBHOOK_AUTH_SECRET_ARN: undefined });

    // Assess
    expect(error.message).toContain('WEBHOOK_AUTH_SECRET_ARN');
  });

  test('oauth2 without an issuer is refused', () => {
    // Act
    const error = configError({ ...oauth2Env, OAUTH2_ISSUER: undefined });

    // Assess
    expect(error.message).toContain('OAUTH2_ISSUER');
  });

  test('oauth2 without audiences and client ids is refused', () => {
    // Act
    const error = configError({ ...oauth2Env, OAUTH2_AUDIENCES: ' , ' });

    // Assess
    expect(error.message).toMatch(/OAUTH2_AUDIENCES.*OAUTH2_CLIENT_IDS/);
  });

  test.each([
    ['WEBHOOK_AUTH_MODE', 'token'],
    ['INTAKE_QUEUE_URL', 'not a url'],
    ['RESPONSE_DEADLINE_MS', '999999'],
    ['RESPONSE_DEADLINE_MS', 'soon'],
    ['CLAIM_RETENTION_DAYS', '0'],
  ])('refuses %s=%j', (name, value) => {
    // Act
    const error = configError({ ...basicEnv, [name]: value });

    // Assess
    expect(error.message).toContain(name);
  });

  test('lists every problem among the basic settings, one per line', () => {
    // Act
    const error = configError({
      WEBHOOK_AUTH_MODE: 'none',
      INTAKE_QUEUE_URL: 'nope',
      RESPONSE_DEADLINE_MS: '10',
    });

    // Assess
    expect(error.message).toContain('CLAIMS_TABLE_NAME');
    expect(error.message).toContain('INTAKE_QUEUE_URL');
    expect(error.message).toContain('RESPONSE_DEADLINE_MS');
    expect(error.message.split('\n').length).toBeGreaterThanOrEqual(4);
  });

  // The checks across settings run on the settings that passed, so a failed one never holds back
  // the mode-specific problems until the others are fixed.
  test('lists the mode-specific problems together with the others', () => {
    // Act
    const error = configError({
      INTAKE_QUEUE_URL: QUEUE_URL,
      WEBHOOK_AUTH_MODE: 'oauth2',
    });

    // Assess
    expect(error.message).toContain('CLAIMS_TABLE_NAME');
    expect(error.message).toContain('OAUTH2_ISSUER');
    expect(error.message).toContain('OAUTH2_AUDIENCES');
  });

  test('never echoes the secret ARN or other values in the error', () => {
    // Act
    const error = configError({ ...basicEnv, CLAIMS_TABLE_NAME: undefined, INTAKE_QUEUE_URL: 'hunter2-not-a-url' });

    // Assess
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain(SECRET_ARN);
  });
});
