import type { Role } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ReceiverSettings } from '../receiver-props.ts';
import { projectFunction, type ProjectFunctionProps } from './project-function.ts';

/** What a function is: everything but the receiver-wide settings (log retention, removal policy). */
export type FunctionDefinition = Omit<ProjectFunctionProps, 'logRetention' | 'removalPolicy'>;

/**
 * One function of the receiver as a sub-construct: the function, its role and its log group,
 * built the way this project deploys functions. Each function's construct adds its own grants,
 * event sources and alarms.
 */
export abstract class ProjectFunctionConstruct extends Construct {
  public readonly function: NodejsFunction;
  /** Holds only what `grant*` adds (and writing to its own log group). */
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  protected constructor(scope: Construct, id: string, settings: ReceiverSettings, definition: FunctionDefinition) {
    super(scope, id);
    const built = projectFunction(this, id, {
      ...definition,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
  }
}
