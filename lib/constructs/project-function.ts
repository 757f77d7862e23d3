import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_BUNDLING, FUNCTION_NODE_ENVIRONMENT } from '../bundling.ts';

/**
 * The project root: where package.json, package-lock.json and lambdas/ are. In the installed
 * package this is its dist/ folder, which holds functions/ instead of lambdas/.
 */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The pre-built bundle of `entry` (`lambdas/<name>/index.ts` → `<root>/functions/<name>/`), when
 * there is one: the installed package ships them (tools/build-package.ts builds them with
 * FUNCTION_BUNDLING), so a consumer's synth needs no esbuild. This repo has none: it bundles at synth.
 */
export function prebuiltBundleDirectory(entry: string, root: string = PROJECT_ROOT): string | undefined {
  const name = /^lambdas\/([a-z-]+)\/index\.ts$/.exec(entry)?.[1];
  if (name === undefined) return undefined;
  const directory = path.join(root, 'functions', name);
  return existsSync(path.join(directory, 'index.mjs')) ? directory : undefined;
}

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
  /** A NodejsFunction in this repo; a Function on the pre-built bundle in the installed package. */
  readonly function: LambdaFunction;
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

  // Everything but the code is the same whichever way the code is made (test/package checks it).
  const common = {
    description: props.description,
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
  } satisfies Omit<FunctionProps, 'code' | 'handler'>;
  const prebuilt = prebuiltBundleDirectory(props.entry);
  const fn =
    prebuilt === undefined
      ? new NodejsFunction(scope, `${id}Function`, {
          ...common,
          entry: path.join(PROJECT_ROOT, props.entry),
          handler: 'handler',
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
          bundling: FUNCTION_BUNDLING,
        })
      : // NodejsFunction's handler for its `handler: 'handler'` on the index.mjs it writes.
        new LambdaFunction(scope, `${id}Function`, { ...common, code: Code.fromAsset(prebuilt), handler: 'index.handler' });
  return { function: fn, role, logGroup };
}
