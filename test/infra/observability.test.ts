/**
 * Observability in the template: every alarm on its metric and threshold with the topic as alarm
 * and OK action; the topic made (encrypted, TLS only) or the one passed; the e-mail subscription;
 * the dashboard naming each function; tracing on and off. One synthesis per configuration.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { UnicoWebhookReceiver, type UnicoWebhookReceiverProps } from '../../lib/unico-webhook-receiver.ts';

interface Built {
  readonly template: Template;
  readonly receiver: UnicoWebhookReceiver;
  readonly stack: Stack;
}

function synth(props: UnicoWebhookReceiverProps, withTopic = false): Built & { readonly topic?: Topic } {
  // No bundling: alarms, topic and dashboard do not depend on the functions' code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Obs');
  const topic = withTopic ? new Topic(stack, 'OnCall') : undefined;
  const receiver = new UnicoWebhookReceiver(stack, 'Receiver', { ...props, ...(topic ? { alarmTopic: topic } : {}) });
  return { template: Template.fromStack(stack), receiver, stack, ...(topic ? { topic } : {}) };
}

type Resource = { readonly Type: string; readonly Properties: Record<string, unknown> };
const alarmsOf = (template: Template) => Object.entries(template.findResources('AWS::CloudWatch::Alarm')) as [string, Resource][];
const byMetric = (template: Template, metricName: string, service?: string) =>
  alarmsOf(template).filter(
    ([, alarm]) =>
      alarm.Properties.MetricName === metricName &&
      (service === undefined || JSON.stringify(alarm.Properties.Dimensions).includes(`"${service}"`)),
  );

describe('with outcome fetching, an e-mail, tracing and the REST front', () => {
  let built: Built;
  beforeAll(() => {
    built = synth({
      unico: { serviceAccount: 'svc@tenant.iam.acesso.io' },
      alarmEmail: 'oncall@example.com',
      tracing: true,
      front: 'rest-api-waf',
    });
  });

  it('creates one topic, encrypted with the AWS-managed SNS key and TLS-only, with the e-mail subscribed', () => {
    const { template } = built;
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const [topicResource] = Object.values(template.findResources('AWS::SNS::Topic')) as Resource[];
    expect(JSON.stringify(topicResource!.Properties.KmsMasterKeyId)).toContain('alias/aws/sns');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('gives every alarm the topic as alarm and OK action, and lists them all', () => {
    const { template, receiver, stack } = built;
    const topicRef = { Ref: stack.getLogicalId(receiver.alarmTopic.node.defaultChild as never) };
    const alarms = alarmsOf(template);

    expect(alarms.length).toBeGreaterThanOrEqual(16);
    expect(receiver.alarms).toHaveLength(alarms.length);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
      expect(String(alarm.Properties.AlarmDescription).length).toBeGreaterThan(60);
    }
  });

  it('alarms on the metrics of each function, with their thresholds', () => {
    const { template } = built;
    const expectations: [string, string | undefined, number][] = [
      ['PermanentDependencyFailures', 'unico-webhook-intake', 1],
      ['PermanentDependencyFailures', 'unico-webhook-processor', 1],
      ['PermanentDependencyFailures', 'unico-webhook-fallback', 1],
      ['Refused', 'unico-webhook-intake', 20],
      ['UnicoCredentialsRefused', 'unico-webhook-processor', 1],
      ['FallbackRecoveries', 'unico-webhook-fallback', 10],
      ['TrackedProcessesExpired', 'unico-webhook-fallback', 1],
      ['Errors', undefined, 1],
      ['Throttles', undefined, 1],
      ['Duration', undefined, 24_000],
      ['ApproximateAgeOfOldestMessage', undefined, 3 * 3600 + 3600],
      ['ApproximateAgeOfOldestMessage', undefined, 3600],
      ['ApproximateNumberOfMessagesVisible', undefined, 1],
    ];
    for (const [metric, service, threshold] of expectations) {
      const found = byMetric(template, metric, service).filter(([, alarm]) => alarm.Properties.Threshold === threshold);
      expect(`${metric} ${service ?? ''} ${threshold}: ${found.length}`).not.toMatch(/: 0$/);
    }
    const [[, refused]] = byMetric(template, 'Refused') as [[string, Resource]];
    expect(refused.Properties.Dimensions).toEqual(expect.arrayContaining([{ Name: 'reason', Value: 'unauthorized' }]));
    const [[, duration]] = byMetric(template, 'Duration') as [[string, Resource]];
    expect(duration.Properties.ExtendedStatistic).toBe('p99');
    expect(byMetric(template, 'ApproximateNumberOfMessagesVisible')).toHaveLength(2);
  });

  it("alarms on the API's 5xx rate, and on claims table throttling, through metric math", () => {
    const alarms = alarmsOf(built.template).map(([, alarm]) => JSON.stringify(alarm.Properties.Metrics ?? ''));
    expect(alarms.some((metrics) => metrics.includes('100 * errors / requests') && metrics.includes('5XXError'))).toBe(true);
    expect(alarms.some((metrics) => metrics.includes('ThrottledRequests'))).toBe(true);
  });

  it('has one dashboard named after the stack that names each function', () => {
    const { template } = built;
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    const body = JSON.stringify(dashboard!.Properties);
    expect(dashboard!.Properties.DashboardName).toBe('Obs');
    for (const service of ['unico-webhook-intake', 'unico-webhook-processor', 'unico-webhook-fallback']) expect(body).toContain(service);
    for (const widget of ['OutcomeFetchLatency', 'ClaimConfirmationLag', 'BudgetWait', 'alarm', 'ApproximateAgeOfOldestMessage']) expect(body).toContain(widget);
  });

  it('traces every function and the REST stage', () => {
    const { template } = built;
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
    const ours = functions.filter((fn) => String(JSON.stringify(fn.Properties.Environment ?? '')).includes('POWERTOOLS_SERVICE_NAME'));
    expect(ours.length).toBe(4);
    for (const fn of ours) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });
});

describe('with a topic of yours, the HTTP API and no tracing', () => {
  let built: Built & { readonly topic?: Topic };
  beforeAll(() => {
    built = synth({}, true);
  });

  it('uses the topic passed and creates none, without a subscription', () => {
    const { template, receiver, topic } = built;
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(receiver.alarmTopic).toBe(topic);
    const topicRef = { Ref: built.stack.getLogicalId(topic!.node.defaultChild as never) };
    for (const [, alarm] of alarmsOf(template)) expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
  });

  it("alarms on the HTTP API's 5xx rate and leaves tracing off", () => {
    const { template } = built;
    const alarms = alarmsOf(template).map(([, alarm]) => JSON.stringify(alarm.Properties.Metrics ?? ''));
    expect(alarms.some((metrics) => metrics.includes('100 * errors / requests') && metrics.includes('"5xx"'))).toBe(true);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
    for (const fn of functions) expect(fn.Properties.TracingConfig).toBeUndefined();
    expect(byMetric(template, 'FallbackRecoveries')).toHaveLength(0);
  });
});
