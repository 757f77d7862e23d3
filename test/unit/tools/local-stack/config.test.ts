import { describe, expect, test } from '@jest/globals';
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
