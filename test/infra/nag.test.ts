/**
 * cdk-nag's AwsSolutions pack finds nothing unacknowledged, errors or warnings, in the app as
 * `cdk synth` builds it (buildApp, cdk.json's context) and in each variant the context can make.
 * To cover one more variant, add a line to CONFIGURATIONS.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeNagFindings } from '../../lib/nag-acknowledgements.ts';
import { buildApp } from '../../lib/unico-webhook-stack.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

const SECRET_ARN = 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf';
const WITH_UNICO = { unicoServiceAccount: 'svc@tenant.iam.acesso.io' };

/** Each configuration: its name and the context keys it sets over cdk.json's. */
const CONFIGURATIONS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['default (cdk.json)', {}],
  ['api key, outcome fetching, tracking and the fallback', { auth: 'apikey', apiKeyHeader: 'X-Api-Key', ...WITH_UNICO }],
  [
    'REST API behind WAF with an allow list, KMS, outcome fetching',
    { front: 'rest-api-waf', allowedSourceCidrs: '203.0.113.0/24,2001:db8::/32', kmsKey: 'true', unicoConcurrency: '100', ...WITH_UNICO },
  ],
  ['secrets of your own (imported by ARN)', { authSecretArn: SECRET_ARN, unicoCredentialsSecretArn: SECRET_ARN, ...WITH_UNICO }],
  [
    'oauth2',
    { auth: 'oauth2', oauth2Issuer: 'https://id.example.com/realms/unico', oauth2Audiences: 'unico-webhook' },
  ],
  ['oauth2 with a Cognito pool created by the stack', { auth: 'oauth2', oauth2Provider: 'cognito' }],
  ['results on an EventBridge bus with an archive', { resultsEventBus: 'true', resultsArchiveDays: '30' }],
  ['tracing, an alarm e-mail, REST front, outcome fetching', { tracing: 'true', alarmEmail: 'oncall@example.com', front: 'rest-api-waf', ...WITH_UNICO }],
];

/** Every finding of the pack as "path rule (level)", errors and warnings alike. */
function findings(context: Record<string, unknown>): string[] {
  // No bundling: cdk-nag reads the resources, not the functions' code.
  const { app } = buildApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${resource.constructPath ?? '?'} ${violation.ruleName} (${violation.severity})`),
    )
    .sort();
}

describe('cdk-nag AwsSolutions', () => {
  test.each(CONFIGURATIONS)('%s: no unacknowledged finding', (_name, context) => {
    expect(findings(context)).toEqual([]);
  });

  test('every acknowledgement carries a reason of its own, and the REST front has findings to acknowledge', () => {
    // Prepare: the REST variant with tracking, its acknowledgements as applied.
    const { stack } = buildApp({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], front: 'rest-api-waf', ...WITH_UNICO },
    });

    // Act: applying them again returns the same list (they are idempotent and on the narrowest construct).
    const acknowledgements = acknowledgeNagFindings(stack.receiver);

    // Assess
    expect(acknowledgements.map((ack) => ack.id).sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG4',
      'AwsSolutions-COG4',
      'AwsSolutions-COG4',
      'AwsSolutions-COG4',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SMG4',
    ]);
    for (const ack of acknowledgements) expect(ack.reason.length).toBeGreaterThan(100);
    expect(new Set(acknowledgements.map((ack) => `${ack.path} ${ack.id}`)).size).toBe(acknowledgements.length);
  });
});
