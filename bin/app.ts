/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). Configuration comes from CDK context
 * (cdk.json "context", or -c key=value); a bad value stops here with one line per problem.
 */
import { StackConfigError } from '../lib/stack-config.ts';
import { buildApp } from '../lib/unico-webhook-stack.ts';

try {
  buildApp();
} catch (error) {
  if (!(error instanceof StackConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
