/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). Configuration comes from CDK context
 * (cdk.json "context", or -c key=value); a bad value stops here with one line per problem.
 */
import { ConfigurationError } from '../lambdas/core/errors.ts';
import { buildApp } from '../lib/unico-webhook-stack.ts';

try {
  buildApp();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
