/**
 * An OAuth2 token issuer for Unico, made of Cognito: a user pool with no users (no sign-up, no
 * sign-in), a Cognito prefix domain for its token endpoint, a resource server with one scope, and
 * one confidential app client allowed only the client-credentials flow and only that scope. Unico
 * fetches its own access tokens from the token URL; the intake verifies them against the pool.
 */
import { Aws, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import {
  AccountRecovery,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClient,
  UserPoolDomain,
  UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { WebhookAuthSettings } from '../../lambdas/contracts/webhook-auth.ts';

/** The Cognito settings with defaults applied (receiver-props.ts checks them). */
export interface CognitoIssuerSettings {
  /** The prefix of `<prefix>.auth.<region>.amazoncognito.com`; derived from the stack when absent. */
  readonly domainPrefix?: string;
  /** The resource server's identifier (the part before `/` of the scope). */
  readonly resourceServer: string;
  /** The scope's name (the part after `/`). */
  readonly scopeName: string;
  readonly accessTokenValidity: Duration;
  readonly keysMaxStaleSeconds: number;
}

export const COGNITO_DEFAULTS = {
  resourceServer: 'unico-webhook',
  scopeName: 'deliver',
  accessTokenValidityMinutes: 60,
} as const;

/**
 * Cognito's rules for a prefix domain: lower-case letters, digits and hyphens, 1 to 63, no hyphen
 * at either end, and none of the reserved words.
 */
export function cognitoDomainPrefixProblem(prefix: string): string | undefined {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix)) {
    return 'must be 1 to 63 lower-case letters, digits and hyphens, not beginning or ending with a hyphen';
  }
  const reserved = ['aws', 'amazon', 'cognito'].find((word) => prefix.includes(word));
  return reserved === undefined ? undefined : `must not contain "${reserved}" (reserved by Cognito)`;
}

export interface CognitoTokenIssuerProps {
  readonly settings: CognitoIssuerSettings;
  readonly removalPolicy: RemovalPolicy;
}

export class CognitoTokenIssuer extends Construct {
  public readonly userPool: UserPool;
  public readonly domain: UserPoolDomain;
  public readonly resourceServer: UserPoolResourceServer;
  /** Unico's client: client credentials only, a generated secret. */
  public readonly client: UserPoolClient;
  /** `<resource server>/<scope>`: what Unico asks for and the intake requires. */
  public readonly scope: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the tokens' `iss`. */
  public readonly issuer: string;
  /** Where Unico fetches tokens: `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`. */
  public readonly tokenUrl: string;
  /** What the intake verifies tokens with (its environment). */
  public readonly authSettings: WebhookAuthSettings;
  /** The AWS CLI command that prints the client secret (the secret itself is never an output). */
  public readonly clientSecretCommand: string;

  constructor(scope: Construct, id: string, props: CognitoTokenIssuerProps) {
    super(scope, id);
    const { settings, removalPolicy } = props;

    // Nobody signs in: the pool only issues client-credentials tokens. The password policy and
    // required MFA are set anyway, so that a user added by hand later is not a weak point.
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.NONE,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: settings.domainPrefix ?? derivedDomainPrefix(this) },
    });

    const deliver = new ResourceServerScope({
      scopeName: settings.scopeName,
      scopeDescription: 'Deliver Unico IDCloud webhook notifications',
    });
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: settings.resourceServer,
      userPoolResourceServerName: 'Unico webhook receiver',
      scopes: [deliver],
    });
    this.scope = `${settings.resourceServer}/${settings.scopeName}`;

    this.client = this.userPool.addClient('UnicoClient', {
      userPoolClientName: 'unico-idcloud-webhook',
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [OAuthScope.resourceServer(this.resourceServer, deliver)],
      },
      supportedIdentityProviders: [],
      accessTokenValidity: settings.accessTokenValidity,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    const region = Stack.of(this).region;
    this.issuer = `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.tokenUrl = `${this.domain.baseUrl()}/oauth2/token`;
    this.authSettings = {
      mode: 'oauth2',
      issuer: this.issuer,
      jwksUri: `${this.issuer}/.well-known/jwks.json`,
      // Cognito access tokens carry no `aud`: the client is named by `client_id`.
      audiences: [],
      clientIds: [this.client.userPoolClientId],
      requiredScopes: [this.scope],
      keysMaxStaleSeconds: settings.keysMaxStaleSeconds,
    };
    this.clientSecretCommand =
      `aws cognito-idp describe-user-pool-client --region ${region} --user-pool-id ${this.userPool.userPoolId} ` +
      `--client-id ${this.client.userPoolClientId} --query UserPoolClient.ClientSecret --output text`;
  }
}

/**
 * A prefix unique to this construct in this account: Cognito prefixes are global per region, so
 * the stack's name alone would collide with another account's deployment of the same app.
 */
function derivedDomainPrefix(construct: Construct): string {
  const stackName = Stack.of(construct).stackName;
  const slug = Token.isUnresolved(stackName)
    ? 'unico-webhook'
    : stackName
        .toLowerCase()
        .replace(/aws|amazon|cognito/g, '')
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 32)
        .replace(/-+$/, '') || 'unico-webhook';
  // 32 + 1 + 8 + 1 + 12 (the account id) = 54 characters at most.
  const unique = Names.uniqueId(construct).toLowerCase().replace(/[^a-z0-9]/g, '').slice(-8);
  return `${slug}-${unique}-${Aws.ACCOUNT_ID}`;
}
