/**
 * Who may use the console: a Cognito user pool for staff (no self sign-up: an admin creates every user), the four
 * groups the API's roles are read from (`cognito:groups` in the token), a Managed Login domain and one public app
 * client (authorization code + PKCE) for the console single-page app.
 *
 * The groups are only names here; what each may do is decided by the handlers, one handler per route whoever calls it
 * (docs/deploy.md lists it).
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** The console's roles, as Cognito group names. The handlers read them from the `cognito:groups` claim. */
export const CONSOLE_GROUPS = {
  marketing: 'Topics, templates, recipient imports and campaigns.',
  ops: 'Figures, suppressions, the marketing pause, campaign pause and resume.',
  privacy: 'Find, export and erase people.',
  admin: 'Everything the other groups may do.',
} as const;

export type ConsoleGroup = keyof typeof CONSOLE_GROUPS;

/** Cognito's rule for a domain prefix, plus its reserved words (a prefix containing them is refused at deploy). */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_IN_PREFIX = /aws|amazon|cognito/;

/** Throws a message naming the rule when `prefix` cannot be a Cognito domain prefix. Tokens pass unchecked. */
export function assertDomainPrefix(prefix: string): string {
  if (prefix.includes('${Token[')) return prefix;
  if (!DOMAIN_PREFIX.test(prefix) || RESERVED_IN_PREFIX.test(prefix)) {
    throw new Error(
      `Sendwell: consoleDomainPrefix "${prefix}" is not valid. Use 1-63 lower-case letters, digits or hyphens (not first or last), ` +
        'without "aws", "amazon" or "cognito"; it must be free in the region (e.g. -c consoleDomainPrefix=sendwell-acme-prod).',
    );
  }
  return prefix;
}

export interface ConsoleAuthProps {
  /** Deployment stage; names the pool. */
  readonly stage: string;
  /**
   * The console's own URL, `https://<distribution>/console/`: the only callback and logout URL of the app client.
   */
  readonly consoleUrl: string;
  /**
   * Prefix of the Cognito domain `https://<prefix>.auth.<region>.amazoncognito.com`; unique per region across AWS.
   *
   * @default `sendwell-<stage>-<account id>`
   */
  readonly domainPrefix?: string;
  /**
   * Retain the pool (its users and their MFA devices) on stack deletion and turn on deletion protection.
   *
   * @default false
   */
  readonly retain?: boolean;
}

/**
 * The console's sign-in.
 *
 * - User pool: admins create users (no self sign-up), sign-in by email, a strong password policy, **MFA required**
 *   (TOTP authenticator app, set up at first sign-in through Managed Login), account recovery by email only.
 * - Groups `marketing`, `ops`, `privacy`, `admin` ({@link CONSOLE_GROUPS}).
 * - Managed Login (version 2) on a Cognito domain, with Cognito's default branding.
 * - App client: public (no secret, a browser cannot keep one), authorization code grant only (the SPA uses PKCE),
 *   scopes openid/email/profile, callback and logout URL = the console URL, tokens valid 15 minutes, refresh 8 hours.
 *
 * @example
 * const auth = new ConsoleAuth(stack, 'ConsoleAuth', { stage: 'dev', consoleUrl: 'https://d111.cloudfront.net/console/' });
 * new CfnOutput(stack, 'SignIn', { value: auth.signInUrl });
 */
export class ConsoleAuth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  readonly groups: ReadonlyMap<ConsoleGroup, cognito.UserPoolGroup>;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`, without a trailing slash. */
  readonly domainUrl: string;
  /** The console URL, the client's callback and logout URL. */
  readonly redirectUri: string;
  /** Managed Login's sign-in page for the console client. */
  readonly signInUrl: string;

  constructor(scope: Construct, id: string, props: ConsoleAuthProps) {
    super(scope, id);
    const retain = props.retain ?? false;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `sendwell-${props.stage}-console`,
      // Staff accounts only: an admin creates each user (admin-create-user) and puts it in its groups.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Console users can export and erase people's data: a password alone is not enough. TOTP only: SMS needs an
      // SNS origination identity per country and is the weaker factor.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Essentials: Managed Login (v2) needs it; threat protection would need Plus (see the acknowledgement below).
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.userPool.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Cognito threat protection (adaptive authentication, compromised-credential checks) needs the Plus feature plan, billed per monthly active user. ' +
        'The console pool holds only staff created by an admin (no self sign-up), and every sign-in needs a TOTP second factor, which covers the credential-stuffing case threat protection targets. ' +
        'Revisit with a larger staff or a compliance requirement for it.',
    });

    const groups = new Map<ConsoleGroup, cognito.UserPoolGroup>();
    for (const [name, description] of Object.entries(CONSOLE_GROUPS) as [ConsoleGroup, string][]) {
      groups.set(name, this.userPool.addGroup(`${name[0]!.toUpperCase()}${name.slice(1)}Group`, { groupName: name, description }));
    }
    this.groups = groups;

    this.redirectUri = props.consoleUrl;
    this.client = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'console',
      // A single-page app cannot keep a secret; PKCE protects the code exchange instead.
      generateSecret: false,
      // No username/password API flows: the console signs in through Managed Login only.
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [this.redirectUri],
        logoutUrls: [this.redirectUri],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Short-lived tokens: a group change or a disabled user takes effect within 15 minutes.
      idTokenValidity: Duration.minutes(15),
      accessTokenValidity: Duration.minutes(15),
      refreshTokenValidity: Duration.hours(8),
    });

    const prefix = assertDomainPrefix(props.domainPrefix ?? `sendwell-${props.stage}-${Aws.ACCOUNT_ID}`);
    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: prefix },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed Login shows an error page for a client without a branding style: Cognito's defaults.
    new cognito.CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    this.domainUrl = this.domain.baseUrl();
    this.signInUrl = this.domain.signInUrl(this.client, { redirectUri: this.redirectUri });
  }
}
