import { Stack } from 'aws-cdk-lib';
import { CfnIPSet, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

export interface WebhookWebAclOptions {
  /** The REST API stage's ARN the web ACL protects. */
  readonly stageArn: string;
  /** Requests one address may send in a minute before it is blocked. */
  readonly rateLimitPerIp: number;
  /** When not empty, only these source CIDRs get through. */
  readonly allowedSourceCidrs: readonly string[];
}

/**
 * The regional web ACL in front of the REST API: strangers are refused by WAF, before they invoke
 * the function or count against the stage throttle. Rules, in order: the source-address allow
 * list (when given), a per-address rate limit, and AWS's common rule set with the two rules that
 * would refuse Unico's legitimate deliveries counted instead of blocking (see docs/security.md).
 * Creates `WebAcl`, `WebAclAssociation` and, with an allow list, `AllowedSourceIpv4`/`Ipv6` in `scope`.
 */
export function webhookWebAcl(scope: Construct, options: WebhookWebAclOptions): CfnWebACL {
  const rules: CfnWebACL.RuleProperty[] = [];
  const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });

  if (options.allowedSourceCidrs.length > 0) {
    const ipSets = (['IPV4', 'IPV6'] as const)
      .map((version) => ({
        version,
        addresses: options.allowedSourceCidrs.filter((cidr) => cidr.includes(':') === (version === 'IPV6')),
      }))
      .filter(({ addresses }) => addresses.length > 0)
      .map(({ version, addresses }) =>
        new CfnIPSet(scope, version === 'IPV4' ? 'AllowedSourceIpv4' : 'AllowedSourceIpv6', {
          scope: 'REGIONAL',
          ipAddressVersion: version,
          addresses: [...addresses],
          description: 'Source addresses allowed to call the Unico webhook',
        }),
      );
    const inAllowList: CfnWebACL.StatementProperty[] = ipSets.map((set) => ({ ipSetReferenceStatement: { arn: set.attrArn } }));
    rules.push({
      name: 'BlockOutsideAllowList',
      priority: rules.length,
      action: { block: {} },
      statement: {
        notStatement: {
          statement: inAllowList.length === 1 ? inAllowList[0]! : { orStatement: { statements: inAllowList } },
        },
      },
      visibilityConfig: visibility('BlockOutsideAllowList'),
    });
  }

  rules.push({
    name: 'RateLimitPerIp',
    priority: rules.length,
    action: { block: {} },
    statement: {
      rateBasedStatement: { aggregateKeyType: 'IP', limit: options.rateLimitPerIp, evaluationWindowSec: 60 },
    },
    visibilityConfig: visibility('RateLimitPerIp'),
  });

  rules.push({
    name: 'AwsCommonRuleSet',
    priority: rules.length,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name: 'AWSManagedRulesCommonRuleSet',
        ruleActionOverrides: [
          // Blocks bodies over 8 KB; contract 1 accepts up to 16 KiB and answers 413 beyond, itself.
          { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
          // Unico's client is not documented to send a User-Agent; a missing one must not cost a delivery.
          { name: 'NoUserAgent_HEADER', actionToUse: { count: {} } },
        ],
      },
    },
    visibilityConfig: visibility('AwsCommonRuleSet'),
  });

  const webAcl = new CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    description: `Unico webhook front of ${Stack.of(scope).stackName}`,
    rules,
    visibilityConfig: visibility('UnicoWebhookWebAcl'),
  });
  new CfnWebACLAssociation(scope, 'WebAclAssociation', { resourceArn: options.stageArn, webAclArn: webAcl.attrArn });
  return webAcl;
}
