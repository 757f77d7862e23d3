import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CfnAccount,
  type CfnRestApi,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
  type Method,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { TRACKING_ROUTES, WEBHOOK_PATH } from '../../lambdas/contracts/routes.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { webhookWebAcl } from './waf-web-acl.ts';

/** TLS 1.2 at least (1.3 preferred) on the execute-api endpoint: an enhanced REST security policy. */
export const REST_API_SECURITY_POLICY = 'SecurityPolicy_TLS13_1_2_2021_06';

export interface RestApiFront {
  readonly api: RestApi;
  readonly webAcl: CfnWebACL;
  readonly webhookMethod: Method;
  /** The tracking methods (AWS_IAM), when a tracking function is given. */
  readonly trackingMethods: readonly Method[];
  readonly webhookUrl: string;
  readonly trackingUrl: string | undefined;
}

/**
 * The REST API (API Gateway v1) front: regional, TLS 1.2 at least, no API key, the stage throttle
 * derived from Unico's concurrency, JSON access logs and ERROR execution logs (no data tracing:
 * bodies and headers are never logged), a regional WAF web ACL, and the tracking methods
 * authorised by IAM. Creates `RestApi`, `ApiGatewayCloudWatchRole`, `ApiGatewayAccount` and the
 * web ACL in `scope`.
 */
export function restApiFront(
  scope: Construct,
  intake: IFunction,
  settings: ReceiverSettings,
  accessLogGroup: LogGroup,
  tracking?: IFunction,
): RestApiFront {
  // REST APIs write logs through the account's API Gateway role (one per account and region); the
  // role outlives the stack so that other APIs of the account keep logging.
  const stack = Stack.of(scope);
  const logGroupsOfAccount = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`;
  const cloudWatchRole = new Role(scope, 'ApiGatewayCloudWatchRole', {
    assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
    description: "API Gateway's account role: write REST API access and execution logs",
    inlinePolicies: {
      logs: new PolicyDocument({
        statements: [
          new PolicyStatement({
            actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            resources: [logGroupsOfAccount],
          }),
        ],
      }),
    },
  });
  cloudWatchRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
  const account = new CfnAccount(scope, 'ApiGatewayAccount', { cloudWatchRoleArn: cloudWatchRole.roleArn });

  const api = new RestApi(scope, 'RestApi', {
    description: 'Receives Unico IDCloud webhooks (REST API behind AWS WAF)',
    endpointConfiguration: { types: [EndpointType.REGIONAL] },
    cloudWatchRole: false,
    deployOptions: {
      stageName: 'prod',
      throttlingRateLimit: settings.rateLimit,
      throttlingBurstLimit: settings.burstLimit,
      accessLogDestination: new LogGroupLogDestination(accessLogGroup),
      accessLogFormat: REST_ACCESS_LOG_FORMAT,
      loggingLevel: MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: true,
    },
  });
  const cfnApi = api.node.defaultChild as CfnRestApi;
  cfnApi.securityPolicy = REST_API_SECURITY_POLICY;
  cfnApi.endpointAccessMode = 'BASIC';
  api.deploymentStage.node.addDependency(account);

  const webhookMethod = api.root
    .resourceForPath(WEBHOOK_PATH)
    .addMethod('POST', new LambdaIntegration(intake), { authorizationType: AuthorizationType.NONE });

  const trackingMethods: Method[] = [];
  if (tracking !== undefined) {
    const integration = new LambdaIntegration(tracking);
    const iam = { authorizationType: AuthorizationType.IAM };
    const process = api.root.resourceForPath(TRACKING_ROUTES.process);
    trackingMethods.push(process.addMethod('PUT', integration, iam), process.addMethod('GET', integration, iam));
    trackingMethods.push(api.root.resourceForPath(TRACKING_ROUTES.journeyFinished).addMethod('POST', integration, iam));
  }

  const webAcl = webhookWebAcl(scope, {
    stageArn: api.deploymentStage.stageArn,
    rateLimitPerIp: settings.wafRateLimitPerIp,
    allowedSourceCidrs: settings.allowedSourceCidrs,
  });

  return {
    api,
    webAcl,
    webhookMethod,
    trackingMethods,
    webhookUrl: api.urlForPath(WEBHOOK_PATH),
    trackingUrl: tracking === undefined ? undefined : api.urlForPath('/processes'),
  };
}

/** As the HTTP API's: who called what, how it went, what WAF said; no headers, bodies or query strings. */
const REST_ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    protocol: '$context.protocol',
    tlsVersion: '$context.tlsVersion',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationError: '$context.integration.error',
    wafStatus: '$context.waf.status',
    error: '$context.error.message',
  }),
);
