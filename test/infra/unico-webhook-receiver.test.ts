/**
 * The construct on its own: props validation, deadline arithmetic, and that each cdk-nag
 * acknowledgement answers a real finding (without them, synth fails).
 */
import { describe, expect, it } from '@jest/globals';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigurationError } from '../../lambdas/core/errors.ts';
import { UnicoWebhookReceiver, type UnicoWebhookReceiverProps } from '../../lib/unico-webhook-receiver.ts';

function build(props?: UnicoWebhookReceiverProps): { app: App; stack: Stack; receiver: UnicoWebhookReceiver } {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const receiver = new UnicoWebhookReceiver(stack, 'Receiver', props);
  return { app, stack, receiver };
}

function propsProblems(props: UnicoWebhookReceiverProps): readonly string[] {
  try {
    build(props);
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
}

/** cdk-nag findings as "path id", straight from the pack (the same rules the plugin runs). */
function nagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations
    .flatMap((violation) =>
      violation.violatingResources.map((resource) => `${resource.constructPath ?? '?'} ${violation.ruleName}`),
    )
    .sort();
}

describe('UnicoWebhookReceiver props', () => {
  it('refuses auth none unless development is true', () => {
    expect(propsProblems({ auth: { mode: 'none' } })).toEqual([
      'auth.mode: none is for development stages only; set development=true or choose basic, apikey or oauth2',
    ]);
    expect(propsProblems({ auth: { mode: 'none' }, development: true })).toEqual([]);
  });

  it('refuses oauth2 without audiences or client ids, and an http issuer outside development', () => {
    expect(propsProblems({ auth: { mode: 'oauth2', issuer: 'http://id.example.com' } })).toEqual([
      'auth.issuer: must use https; http is allowed only when development is true',
      'auth.audiences: oauth2 needs at least one audience (auth.audiences) or client id (auth.clientIds) to accept',
    ]);
  });

  it('keeps the last keys for 10 minutes to 7 days of a key-set outage, in whole seconds', () => {
    const oauth2 = { mode: 'oauth2' as const, issuer: 'https://id.example.com', audiences: ['webhook'] };

    expect(propsProblems({ auth: { ...oauth2, keysMaxStale: Duration.hours(48) } })).toEqual([]);
    expect(propsProblems({ auth: { ...oauth2, keysMaxStale: Duration.minutes(5) } })).toEqual([
      'auth.keysMaxStale: must be from 600 seconds (10 minutes) to 604800 seconds (7 days)',
    ]);
    expect(propsProblems({ auth: { ...oauth2, keysMaxStale: Duration.days(8) } })).toHaveLength(1);
  });

  it('reports every problem at once in one error', () => {
    let thrown: unknown;
    try {
      build({
        responseDeadline: Duration.seconds(45),
        claimRetention: Duration.hours(36),
        throttling: { burstLimit: 0 },
        auth: { mode: 'apikey', header: 'X Api Key' },
      });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigurationError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^Invalid UnicoWebhookReceiver props:/);
    expect(message).toContain('responseDeadline: must be from 1 to 30 seconds');
    expect(message).toContain('claimRetention: must be a whole number of days from 1 to 3650');
    expect(message).toContain('throttling.burstLimit: must be a whole number of at least 1');
    expect(message).toContain('auth.header: must be an HTTP header name');
  });

  it('refuses a username next to a secret that already holds one', () => {
    const app = new App();
    const stack = new Stack(app, 'Test');
    const secret = new Secret(stack, 'Mine');

    expect(() =>
      new UnicoWebhookReceiver(stack, 'Receiver', { auth: { mode: 'basic', username: 'someone', secret } }),
    ).toThrow('auth.username: applies only to a generated secret');
  });

  it('rounds the timeout up to whole seconds, one second past the deadline', () => {
    const { stack } = build({ responseDeadline: Duration.millis(2500) });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 4,
      Environment: { Variables: Match.objectLike({ RESPONSE_DEADLINE_MS: '2500' }) },
    });
  });

  it('uses a secret it is given, creates none, and grants read on it', () => {
    const app = new App();
    const stack = new Stack(app, 'Test');
    const secret = Secret.fromSecretCompleteArn(
      stack,
      'Given',
      'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf',
    );
    const receiver = new UnicoWebhookReceiver(stack, 'Receiver', { auth: { mode: 'apikey', secret } });
    const template = Template.fromStack(stack);

    expect(receiver.authSecretGenerated).toBe(false);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          WEBHOOK_AUTH_SECRET_ARN: 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf',
          WEBHOOK_API_KEY_HEADER: 'Authorization',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Resource: 'arn:aws:secretsmanager:sa-east-1:111122223333:secret:unico/webhook-AbCdEf',
          }),
        ]),
      },
    });
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('cdk-nag acknowledgements', () => {
  it('each acknowledgement answers exactly one real finding on its construct', () => {
    // Prepare: the same receiver with and without its acknowledgements.
    const bare = build({ acknowledgeNagFindings: false });
    const acknowledged = build();

    // Act
    const findingsWithout = nagFindings(bare.app);
    const findingsWith = nagFindings(acknowledged.app);

    // Assess
    expect(findingsWithout).toEqual([
      'Test/Receiver/Api/POST--webhooks--unico/Resource AwsSolutions-APIG4',
      'Test/Receiver/AuthSecret/Resource AwsSolutions-SMG4',
    ]);
    expect(acknowledged.receiver.nagAcknowledgements.map((ack) => `${ack.path} ${ack.id}`).sort()).toEqual(
      findingsWithout,
    );
    for (const ack of acknowledged.receiver.nagAcknowledgements) expect(ack.reason.length).toBeGreaterThan(60);
    expect(findingsWith).toEqual([]);
  });

  it('fails synth through the Validations API when an acknowledgement is missing', () => {
    const { app } = build({ acknowledgeNagFindings: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = String(error);
    }

    expect(message).toMatch(/^ValidationFailed/);
    expect(message).toContain('AwsSolutions-APIG4');
    expect(message).toContain('AwsSolutions-SMG4');
  });

  it('passes synth through the Validations API with the acknowledgements', () => {
    const { app } = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});
