import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalStackOptions } from '../../../../tools/local-stack/config.ts';
import { ConfigurationError } from '../../../../lambdas/core/errors.ts';
import { thrownBy } from '../../../support/unit/caught-errors.ts';

describe('local stack settings', () => {
  test('without DYNAMODB_ENDPOINT and SQS_ENDPOINT the emulators run in-process', () => {
    // Act
    const options = loadLocalStackOptions({});

    // Assess
    expect(options.dynamodbEndpoint).toBeUndefined();
    expect(options.sqsEndpoint).toBeUndefined();
    expect(options.port).toBe(3000);
  });

  test('external endpoints are taken as given, without a trailing slash', () => {
    // Act
    const options = loadLocalStackOptions({
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000/',
      SQS_ENDPOINT: 'http://localhost:4566',
    });

    // Assess
    expect(options.dynamodbEndpoint).toBe('http://127.0.0.1:8000');
    expect(options.sqsEndpoint).toBe('http://localhost:4566');
  });

  test.each(['localhost:8000', 'ftp://127.0.0.1:8000', 'not a url'])('an endpoint %s is refused with what a valid one looks like', (value) => {
    // Act
    const error = thrownBy(() => loadLocalStackOptions({ DYNAMODB_ENDPOINT: value, SQS_ENDPOINT: value }));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('DYNAMODB_ENDPOINT: must be an http(s) URL, e.g. http://127.0.0.1:8000');
    expect((error as Error).message).toContain('SQS_ENDPOINT: must be an http(s) URL');
  });

  test.each(['abc', '70000', '-1', '3000.5'])('PORT=%s is refused with the range a port must be in', (value) => {
    // Act
    const error = thrownBy(() => loadLocalStackOptions({ PORT: value }));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems).toEqual(['PORT: must be an integer from 0 to 65535']);
  });

  test('the log format is text on a terminal and JSON otherwise, unless LOG_FORMAT says which', () => {
    // Act / Assess
    expect(loadLocalStackOptions({}, true).logFormat).toBe('text');
    expect(loadLocalStackOptions({}, false).logFormat).toBe('json');
    expect(loadLocalStackOptions({ LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(loadLocalStackOptions({ LOG_FORMAT: 'text' }, false).logFormat).toBe('text');
    expect((thrownBy(() => loadLocalStackOptions({ LOG_FORMAT: 'yaml' })) as ConfigurationError).problems).toEqual([
      'LOG_FORMAT: must be one of text, json',
    ]);
  });
});

describe('local stack settings: real Unico instead of the simulator', () => {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'unico-key-')), 'key.pem');
  writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n');

  test('a service account and its key file select real Unico, with production URLs by default', () => {
    // Act
    const options = loadLocalStackOptions({ UNICO_SERVICE_ACCOUNT: 'svc@tenant.iam.acesso.io', UNICO_PRIVATE_KEY_FILE: keyFile }, false);

    // Assess
    expect(options.realUnico).toEqual({
      api: {
        contract: 'web-sdk',
        apiBaseUrl: 'https://api.idcloud.unico.app',
        identityUrl: 'https://identity.acesso.io',
        serviceAccount: 'svc@tenant.iam.acesso.io',
        maxRequestsPerSecond: 5,
      },
      credentials: { privateKey: expect.stringContaining('BEGIN PRIVATE KEY') },
    });
  });

  test('without a service account, the simulator runs', () => {
    expect(loadLocalStackOptions({}, false).realUnico).toBeUndefined();
  });

  test('what real Unico needs is asked for, one line each', () => {
    // Act
    const missingKey = thrownBy(() => loadLocalStackOptions({ UNICO_SERVICE_ACCOUNT: 'svc@t' }, false));
    const apiWithoutKey = thrownBy(() =>
      loadLocalStackOptions({ UNICO_SERVICE_ACCOUNT: 'svc@t', UNICO_PRIVATE_KEY_FILE: keyFile, UNICO_CONTRACT: 'api' }, false),
    );
    const unreadable = thrownBy(() =>
      loadLocalStackOptions({ UNICO_SERVICE_ACCOUNT: 'svc@t', UNICO_PRIVATE_KEY_FILE: `${keyFile}.missing` }, false),
    );

    // Assess
    expect((missingKey as ConfigurationError).problems).toEqual([
      "UNICO_PRIVATE_KEY_FILE: required with UNICO_SERVICE_ACCOUNT (the service account's private key, PEM)",
    ]);
    expect((apiWithoutKey as ConfigurationError).problems).toEqual(['UNICO_API_KEY: required with UNICO_SERVICE_ACCOUNT and UNICO_CONTRACT=api']);
    expect((unreadable as ConfigurationError).problems).toEqual(['UNICO_PRIVATE_KEY_FILE: cannot be read (ENOENT)']);
  });
});
