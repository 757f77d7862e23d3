import { describe, expect, test } from '@jest/globals';
import { FALLBACK_SETTING_NAMES, loadFallbackConfig } from '../../../lambdas/fallback/config.ts';
import { ConfigurationError } from '../../../lambdas/core/errors.ts';
import { DEFAULT_FALLBACK_SCHEDULE } from '../../../lambdas/contracts/fallback-schedule.ts';

const minimal = {
  TRACKING_TABLE_NAME: 'tracking',
  CLAIMS_TABLE_NAME: 'claims',
  INTAKE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo',
  UNICO_SERVICE_ACCOUNT: 'receiver@tenant.iam.acesso.io',
  UNICO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unico',
};

describe('the fallback\'s configuration', () => {
  test('the least it needs, with the defaults', () => {
    expect(loadFallbackConfig(minimal)).toEqual({
      trackingTableName: 'tracking',
      schedule: DEFAULT_FALLBACK_SCHEDULE,
      claimsTableName: 'claims',
      claimRetentionDays: 90,
      intakeQueueUrl: minimal.INTAKE_QUEUE_URL,
      unico: {
        contract: 'web-sdk',
        apiBaseUrl: 'https://api.idcloud.unico.app',
        identityUrl: 'https://identity.acesso.io',
        serviceAccount: minimal.UNICO_SERVICE_ACCOUNT,
        maxRequestsPerSecond: 5,
        secretArn: minimal.UNICO_SECRET_ARN,
      },
    });
  });

  test('the schedule and Unico settings as given', () => {
    const config = loadFallbackConfig({
      ...minimal,
      FALLBACK_FIRST_CHECK_SECONDS: '60',
      FALLBACK_BACKOFF_FACTOR: '3',
      FALLBACK_MAX_CHECK_INTERVAL_SECONDS: '3600',
      FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS: '0',
      FALLBACK_DEFAULT_EXPIRY_SECONDS: '7200',
      CLAIM_RETENTION_DAYS: '30',
      UNICO_CONTRACT: 'api',
      UNICO_MAX_RPS: '8',
    });
    expect(config.schedule).toEqual({
      firstCheckSeconds: 60,
      backoffFactor: 3,
      maxCheckIntervalSeconds: 3600,
      journeyFinishedCheckSeconds: 0,
      defaultExpirySeconds: 7200,
    });
    expect(config.claimRetentionDays).toBe(30);
    expect(config.unico).toMatchObject({ contract: 'api', apiBaseUrl: 'https://api.id.unico.app', maxRequestsPerSecond: 8 });
  });

  test('every problem at once, one line each', () => {
    let error: unknown;
    try {
      loadFallbackConfig({ FALLBACK_BACKOFF_FACTOR: '0', UNICO_MAX_RPS: 'many' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect([...(error as ConfigurationError).problems].sort()).toEqual([
      'TRACKING_TABLE_NAME: required',
      'FALLBACK_BACKOFF_FACTOR: must be an integer from 1 to 10',
      'CLAIMS_TABLE_NAME: required',
      'INTAKE_QUEUE_URL: must be an http(s) URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/intake.fifo',
      'UNICO_MAX_RPS: must be an integer from 1 to 1000',
      'UNICO_SERVICE_ACCOUNT: required',
      'UNICO_SECRET_ARN: required',
    ].sort());
  });

  test('the names it reads: what the CDK may write for it', () => {
    expect([...FALLBACK_SETTING_NAMES].sort()).toEqual(
      [
        'TRACKING_TABLE_NAME',
        'FALLBACK_FIRST_CHECK_SECONDS',
        'FALLBACK_BACKOFF_FACTOR',
        'FALLBACK_MAX_CHECK_INTERVAL_SECONDS',
        'FALLBACK_JOURNEY_FINISHED_CHECK_SECONDS',
        'FALLBACK_DEFAULT_EXPIRY_SECONDS',
        'CLAIMS_TABLE_NAME',
        'CLAIM_RETENTION_DAYS',
        'INTAKE_QUEUE_URL',
        'UNICO_SERVICE_ACCOUNT',
        'UNICO_SECRET_ARN',
        'UNICO_CONTRACT',
        'UNICO_API_BASE_URL',
        'UNICO_IDENTITY_URL',
        'UNICO_MAX_RPS',
      ].sort(),
    );
  });
});
