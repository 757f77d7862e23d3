import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_BUNDLING, FUNCTION_NODE_ENVIRONMENT } from '../bundling.ts';

/** The project root: where package.json, package-lock.json and lambdas/ are. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ProjectFunctionProps {
  /** The function's entry, relative to the project root (e.g. `lambdas/intake/index.ts`). */
  readonly entry: string;
  readonly description: string;
  /** What the role is for, in a few words (IAM shows it). */
  readonly roleDescription: string;
  /** Powertools' `service` on every log line. */
  readonly serviceName: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default none: the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** X-Ray active tracing (Lambda's own segments; no X-Ray SDK in the bundle). @default false */
  readonly tracing?: boolean;
}

export interface ProjectFunction {
  readonly function: NodejsFunction;
  /** Holds only what `grant*` adds (and writing to its own log group). */
  readonly role: Role;
  readonly logGroup: LogGroup;
}

/**
 * A Node.js function the way this project deploys one: nodejs24.x on arm64, an ESM bundle with
 * the AWS SDK the tests ran against, its own log group, and a role that starts empty. Creates
 * `<id>LogGroup`, `<id>Role` and `<id>Function` in `scope`.
 */
export function projectFunction(scope: Construct, id: string, props: ProjectFunctionProps): ProjectFunction {
  const logGroup = new LogGroup(scope, `${id}LogGroup`, {
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, `${id}Function`, {
    description: props.description,
    entry: path.join(PROJECT_ROOT, props.entry),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
    timeout: props.timeout,
    ...(props.tracing === true ? { tracing: Tracing.ACTIVE } : {}),
    role,
    logGroup,
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...FUNCTION_NODE_ENVIRONMENT,
    },
    bundling: FUNCTION_BUNDLING,
  });
  return { function: fn, role, logGroup };
}
