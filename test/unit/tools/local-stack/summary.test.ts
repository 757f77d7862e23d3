import { describe, expect, test } from '@jest/globals';
import type { LocalEndpoints } from '../../../../tools/local-stack/local-stack.ts';
import { readySummary } from '../../../../tools/local-stack/summary.ts';

const endpoints: LocalEndpoints = {
  webhookUrl: 'http://127.0.0.1:3000/webhooks/unico',
  trackingUrl: null,
  auth: { mode: 'basic', unico: 'unico:secret' },
  sqs: {
    endpoint: 'http://127.0.0.1:4566',
    region: 'us-east-1',
    intakeQueueUrl: 'http://sqs/intake.fifo',
    resultsQueueUrl: 'http://sqs/results.fifo',
    intakeDlqUrl: 'http://sqs/intake-dlq.fifo',
    resultsDlqUrl: 'http://sqs/results-dlq.fifo',
  },
  dynamodb: { endpoint: 'http://127.0.0.1:8000', region: 'us-east-1', tables: { claims: 'unico-claims', tracking: 'unico-tracking' } },
  unicoSimulator: null,
  processor: { unicoMaxRps: 5 },
};

describe('the ready summary', () => {
  test('the rehearse hint names the endpoints file, which carries the URL and the credentials', () => {
    // Act
    const summary = readySummary(endpoints, '.local/endpoints.json');

    // Assess
    expect(summary).toContain('rehearse     npx unico-sim check --endpoints .local/endpoints.json');
    expect(summary).toContain('read         npx unico-sim results --endpoints .local/endpoints.json');
    expect(readySummary(endpoints, '.local/endpoints.json', 'json', false)).not.toContain('unico-sim results');
    expect(summary).not.toMatch(/rehearse.*secret/);
  });

  test('the tracking routes, when served', () => {
    expect(readySummary(endpoints, null)).not.toContain('tracking ');
    const summary = readySummary({ ...endpoints, trackingUrl: 'http://127.0.0.1:3000/processes' }, null);
    expect(summary).toContain('  tracking     PUT|GET http://127.0.0.1:3000/processes/{processId}, POST .../journey-finished');
  });

  test('without an endpoints file the hint gives the URL and auth', () => {
    // Act
    const summary = readySummary(endpoints, null);

    // Assess
    expect(summary).toContain("rehearse     npx unico-sim check --url http://127.0.0.1:3000/webhooks/unico --auth 'basic:unico:secret'");
  });

  test('Unico\'s form value is the endpoints file\'s auth.unico, and --auth puts the mode in front of it', () => {
    // Act
    const summary = readySummary(endpoints, null);

    // Assess
    expect(summary).toMatch(/auth +basic: in Unico's form, choose Basic and type unico:secret \(unico-sim --auth basic:unico:secret\)/);
    expect(readySummary({ ...endpoints, auth: { mode: 'apikey', unico: 'X-Api-Key:k' } }, null))
      .toMatch(/auth +apikey: in Unico's form, choose API Key and type X-Api-Key:k \(unico-sim --auth apikey:X-Api-Key:k\)/);
  });

  test('it prints the pace the budget sets and the local Unico\'s contract', () => {
    // Act
    const summary = readySummary(
      { ...endpoints, processor: { unicoMaxRps: 7 }, unicoSimulator: { apiBaseUrl: 'http://u', identityUrl: 'http://u/identity', adminUrl: 'http://u/admin', contract: 'api' } },
      '.local/endpoints.json',
    );

    // Assess
    expect(summary).toMatch(/budget +7 calls\/s to Unico \(UNICO_MAX_RPS\)/);
    expect(summary).toMatch(/unico +local simulator \(api contract\), admin API http:\/\/u\/admin/);
    expect(readySummary({ ...endpoints, processor: null }, null, 'json', false)).not.toMatch(/budget/);
  });

  test('it says how the logs are written and how to change that', () => {
    // Act / Assess
    expect(readySummary(endpoints, null, 'text')).toMatch(/logs +one line per delivery.*LOG_FORMAT=json/);
    expect(readySummary(endpoints, null, 'json')).toMatch(/logs +JSON lines.*LOG_FORMAT=text/);
  });
});
