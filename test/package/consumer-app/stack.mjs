// @ts-check
// The consumer's stack, given the construct class: app.mjs passes the installed package's, and
// test/package/package.test.ts this repository's, to check that both make the same template.
import { Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * @param {import('aws-cdk-lib').App} app
 * @param {typeof import('unico-webhook-receiver').UnicoWebhookReceiver} Receiver
 */
export function consumerStack(app, Receiver) {
  const stack = new Stack(app, 'ConsumerStack', { env: { account: '111111111111', region: 'sa-east-1' } });
  const receiver = new Receiver(stack, 'Receiver', {
    auth: { mode: 'apikey', header: 'X-Unico-Key' },
    unico: { serviceAccount: 'receiver@tenant.iam.acesso.io', contract: 'api' },
    responseDeadline: Duration.seconds(3),
    logRetention: RetentionDays.TWO_WEEKS,
  });
  return { stack, receiver };
}

/** @type {import('unico-webhook-receiver').UnicoWebhookReceiverProps} */
// @ts-expect-error: no such auth mode. Unused unless the declarations are missing (everything any).
export const REFUSED_BY_THE_DECLARATIONS = { auth: { mode: 'none-of-these' } };
