// @ts-check
// A CDK app as another project writes it: the construct from the installed package, non-default props.
import { App } from 'aws-cdk-lib';
import { UnicoWebhookReceiver } from 'unico-webhook-receiver';
import { consumerStack } from './stack.mjs';

const app = new App({ outdir: process.argv[2] ?? 'cdk.out' });
const { receiver } = consumerStack(app, UnicoWebhookReceiver);
console.log(JSON.stringify({ intake: receiver.intakeFunction.node.path }));
app.synth();
