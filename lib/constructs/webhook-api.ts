import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  type HttpRoute,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { TRACKING_ROUTES, WEBHOOK_PATH } from '../../lambdas/contracts/routes.ts';
import type { ReceiverSettings } from '../receiver-props.ts';
import { restApiFront } from './rest-api-front.ts';
import type { Method, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';

export interface WebhookApi {
  /** The HTTP API (`http-api` front). */
  readonly api?: HttpApi;
  /** The `$default` stage: access logs and throttling (`http-api` front). */
  readonly stage?: HttpStage;
  /** The REST API (`rest-api-waf` front). */
  readonly restApi?: RestApi;
  /** The regional web ACL in front of the REST API (`rest-api-waf` front). */
  readonly webAcl?: CfnWebACL;
  /** The `POST /webhooks/unico` route (HTTP API) or method (REST API). */
  readonly webhookRoute: HttpRoute | Method;
  readonly accessLogGroup: LogGroup;
  /** The full URL to enter in Unico's webhook form. */
  readonly webhookUrl: string;
  /** The tracking routes or methods (IAM-authorised), when a tracking function is given. */
  readonly trackingRoutes: readonly (HttpRoute | Method)[];
  /** `<api>/processes`: where the integrator's backend tracks processes; undefined without tracking. */
  readonly trackingUrl: string | undefined;
}

/**
 * The HTTP API Unico calls: `POST /webhooks/unico` to the intake function, with an explicit
 * `$default` stage so that it gets access logs and throttling. Creates `Api`, `AccessLogGroup`
 * and `DefaultStage` in `scope`.
 */
export function webhookApi(scope: Construct, intake: IFunction, settings: ReceiverSettings, tracking?: IFunction): WebhookApi {
  const accessLogGroup = new LogGroup(scope, 'AccessLogGroup', {
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  if (settings.front === 'rest-api-waf') {
    const rest = restApiFront(scope, intake, settings, accessLogGroup, tracking);
    return {
      restApi: rest.api,
      webAcl: rest.webAcl,
      webhookRoute: rest.webhookMethod,
      accessLogGroup,
      webhookUrl: rest.webhookUrl,
      trackingRoutes: rest.trackingMethods,
      trackingUrl: rest.trackingUrl,
    };
  }
  const api = new HttpApi(scope, 'Api', {
    description: 'Receives Unico IDCloud webhooks',
    createDefaultStage: false,
  });
  const stage = new HttpStage(scope, 'DefaultStage', {
    httpApi: api,
    autoDeploy: true,
    throttle: { rateLimit: settings.rateLimit, burstLimit: settings.burstLimit },
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogGroup),
      format: ACCESS_LOG_FORMAT,
    },
  });
  const [webhookRoute] = api.addRoutes({
    path: WEBHOOK_PATH,
    methods: [HttpMethod.POST],
    integration: new HttpLambdaIntegration('IntakeIntegration', intake, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    }),
  });
  if (webhookRoute === undefined) throw new Error('HttpApi.addRoutes returned no route');
  const trackingRoutes = tracking === undefined ? [] : trackingRoutesOf(api, tracking);
  return {
    api,
    stage,
    webhookRoute,
    accessLogGroup,
    webhookUrl: `${api.apiEndpoint}${WEBHOOK_PATH}`,
    trackingRoutes,
    trackingUrl: tracking === undefined ? undefined : `${api.apiEndpoint}/processes`,
  };
}

/**
 * Contract 3's routes for the integrator's backend, each authorised by IAM (SigV4): only a
 * principal granted `execute-api:Invoke` on them gets through, and strangers never reach the
 * function. The webhook route keeps the credentials Unico presents.
 */
function trackingRoutesOf(api: HttpApi, tracking: IFunction): HttpRoute[] {
  const integration = new HttpLambdaIntegration('TrackingIntegration', tracking, {
    payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
  });
  const authorizer = new HttpIamAuthorizer();
  return [
    ...api.addRoutes({ path: TRACKING_ROUTES.process, methods: [HttpMethod.PUT, HttpMethod.GET], integration, authorizer }),
    ...api.addRoutes({ path: TRACKING_ROUTES.journeyFinished, methods: [HttpMethod.POST], integration, authorizer }),
  ];
}

/**
 * JSON access log: who called what, how it went and how long it took. No headers (they carry the
 * credentials), no bodies, no query strings.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    protocol: '$context.protocol',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);
