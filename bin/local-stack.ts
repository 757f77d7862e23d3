/**
 * `npm start`: the receiver on this machine, no AWS account, no Docker (contract 4).
 * Settings (tools/local-stack/config.ts): PORT, WEBHOOK_AUTH, RESPONSE_DEADLINE_SECONDS,
 * LOCAL_ENDPOINTS_FILE, DYNAMODB_ENDPOINT, SQS_ENDPOINT, UNICO_CONTRACT, UNICO_MAX_RPS, RUN_PROCESSOR, LOG_FORMAT,
 * and Powertools' POWERTOOLS_LOG_LEVEL.
 */
import { loadLocalStackOptions } from '../tools/local-stack/config.ts';
import { startLocalStack } from '../tools/local-stack/local-stack.ts';
import { readySummary } from '../tools/local-stack/summary.ts';
import { ConfigurationError } from '../lambdas/core/errors.ts';

async function main(): Promise<void> {
  const options = loadLocalStackOptions();
  const stack = await startLocalStack(options);
  process.stdout.write(`${readySummary(stack.endpoints, options.endpointsFile, options.logFormat, options.runProcessor)}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: stopping the local stack\n`);
    stack.stop().then(
      () => {
        process.stderr.write('local stack stopped\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigurationError ? `${error.message}\n` : `local stack failed to start: ${String(error)}\n`,
  );
  process.exit(1);
});
