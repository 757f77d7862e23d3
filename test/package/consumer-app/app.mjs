// A CDK app as another project writes it: the construct from the installed package, non-default props.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { UnicoWebhookReceiver } from 'unico-webhook-receiver';

const app = new App({ outdir: process.argv[2] ?? 'cdk.out' });
const stack = new Stack(app, 'ConsumerStack', { env: { account: '111111111111', region: 'sa-east-1' } });
const receiver = new UnicoWebhookReceiver(stack, 'Receiver', {
  auth: { mode: 'apikey', header: 'X-Unico-Key' },
  unico: { serviceAccount: 'receiver@tenant.iam.acesso.io', contract: 'api' },
  responseDeadline: Duration.seconds(3),
  logRetention: RetentionDays.TWO_WEEKS,
});
console.log(JSON.stringify({ intake: receiver.intakeFunction.node.path }));
app.synth();
