/**
 * The console on AWS (issue 9): Cognito sign-in with the four groups (lib/console-auth.ts), the admin routes again
 * behind a JWT authorizer on the same functions (lib/console-api.ts), and the site: a private bucket reached only
 * through CloudFront's Origin Access Control, `/v1/*` uncached to the console API, the built app and its config.json
 * deployed under `/console/` (lib/console-site.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ROUTES, routeKey } from '../../lambdas/wiring/routes.ts';
import { CONSOLE_GROUPS } from '../../lib/console-auth.ts';
import { CONSOLE_PROXY_KEY, consoleProxied, consoleRoutes, routeKeysOf } from '../../lambdas/wiring/routes.ts';
import { readDeployerContext } from '../../lib/sendwell-app.ts';
import { PROD_CONTEXT } from './fixtures.ts';
import { asArray, policiesOf } from './iam.ts';
import { findingsOf, flattenCfn, synthTemplate } from './synth.ts';

const synth = synthTemplate();
const { json, stack } = synth;
const logicalId = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const poolId = logicalId(stack.consoleAuth.userPool);
const clientId = logicalId(stack.consoleAuth.client);
const domainId = logicalId(stack.consoleAuth.domain);
const distributionId = logicalId(stack.consoleSite.distribution);
const bucketId = logicalId(stack.consoleSite.bucket);
/** `https://<distribution domain>/console/`, as CloudFormation builds it. */
const CONSOLE_URL = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/console/']] };

// Managed policy ids CloudFront documents (stable across accounts and regions).
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

describe('console user pool', () => {
  const pool = json.Resources[poolId]!;

  it('has exactly the groups marketing, ops, privacy and admin, in this pool', () => {
    const groups = ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties);
    expect(groups.map((g) => g.GroupName).sort()).toEqual(['admin', 'marketing', 'ops', 'privacy']);
    expect(Object.keys(CONSOLE_GROUPS).sort()).toEqual(['admin', 'marketing', 'ops', 'privacy']);
    for (const g of groups) expect(g.UserPoolId).toEqual({ Ref: poolId });
  });

  it('lets only admins create users, signs in by email, requires a strong password and TOTP MFA, recovers by email', () => {
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      Policies: { PasswordPolicy: { RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
    });
    expect(pool.Properties.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
  });

  it('is deleted with a dev stack, without deletion protection', () => {
    expect(pool).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(pool.Properties.DeletionProtection).toBe('INACTIVE');
  });

  it('has one public app client: code grant only, openid/email/profile, the console URL as callback and logout URL, short tokens', () => {
    const clients = ofType('AWS::Cognito::UserPoolClient');
    expect(clients).toHaveLength(1);
    const props = clients[0]![1].Properties;
    expect(props).toMatchObject({
      UserPoolId: { Ref: poolId },
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [CONSOLE_URL],
      LogoutURLs: [CONSOLE_URL],
      PreventUserExistenceErrors: 'ENABLED',
    });
    expect([...props.AllowedOAuthScopes].sort()).toEqual(['email', 'openid', 'profile']);
    // No password or SRP flows: sign-in goes through Managed Login only.
    expect(props.ExplicitAuthFlows ?? []).not.toEqual(expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH']));
    expect(props.TokenValidityUnits.IdToken).toBe('minutes');
    expect(props.IdTokenValidity).toBeLessThanOrEqual(60);
  });

  it('signs in on a Managed Login domain named from the stage (with branding for the client)', () => {
    const [, domain] = ofType('AWS::Cognito::UserPoolDomain')[0]!;
    expect(domain.Properties).toMatchObject({ UserPoolId: { Ref: poolId }, ManagedLoginVersion: 2 });
    expect(flattenCfn(domain.Properties.Domain)).toBe('sendwell-dev-<AWS::AccountId>');
    const [, branding] = ofType('AWS::Cognito::ManagedLoginBranding')[0]!;
    expect(branding.Properties).toMatchObject({ UserPoolId: { Ref: poolId }, ClientId: { Ref: clientId }, UseCognitoProvidedValues: true });
  });
});

describe('console user pool on a production stage', () => {
  const prod = synthTemplate(PROD_CONTEXT);

  it('is retained with deletion protection, and cdk-nag stays clean', () => {
    const pool = prod.json.Resources[logicalId(prod.stack.consoleAuth.userPool)]!;
    expect(pool).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
    expect(findingsOf(prod.validationReport)).toEqual([]);
  });
});

describe('consoleDomainPrefix', () => {
  const ctx = (consoleDomainPrefix: string) => readDeployerContext(new App({ context: { consoleDomainPrefix } }).node);

  it('is taken from context', () => {
    expect(ctx('sendwell-acme-prod').consoleDomainPrefix).toBe('sendwell-acme-prod');
  });

  it.each(['Sendwell', 'my-aws-console', 'cognito-x', '-sendwell', 'a'.repeat(64)])('refuses %s with the rule', (prefix) => {
    expect(() => ctx(prefix)).toThrow(/consoleDomainPrefix/);
  });
});

describe('console API', () => {
  const consoleApiId = logicalId(stack.consoleApi.httpApi);
  const iamApiId = logicalId(stack.api.httpApi);
  // The route table's routes; `$default` (the no-route function) is tested in sendwell-stack.test.ts.
  const routesOf = (apiId: string) => ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.ApiId.Ref === apiId && r.Properties.RouteKey !== '$default');
  const integrationOf = (route: { Properties?: any }) => json.Resources[route.Properties.Target['Fn::Join'][1][1].Ref as string]!;

  it('is a second HTTP API with the admin routes, not the shell pages: the admin function\'s /v1 routes as one proxy route', () => {
    const admin = ROUTES.filter((r) => r.auth === 'admin' && !r.shell);
    expect(admin.length).toBeGreaterThan(30);
    expect(consoleRoutes().map(routeKey).sort()).toEqual(admin.map(routeKey).sort());
    expect(consoleRoutes().map(routeKey)).not.toContain('GET /ops');
    // Every route the admin function serves under /v1 goes through the proxy; every other keeps its own key.
    const own = admin.filter((r) => !consoleProxied(r)).map(routeKey);
    expect(own.length).toBeGreaterThan(0);
    expect(admin.filter(consoleProxied).every((r) => r.fn === 'admin' && r.path.startsWith('/v1/'))).toBe(true);
    expect(synth.consoleRouteKeys).toEqual([...own, CONSOLE_PROXY_KEY].sort());
    expect(ofType('AWS::ApiGatewayV2::Api')).toHaveLength(2);
  });

  it('has one JWT authorizer: issuer the user pool, audience the console client, token from Authorization', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const props = authorizers[0]![1].Properties;
    expect(props).toMatchObject({
      ApiId: { Ref: consoleApiId },
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Audience: [{ Ref: clientId }] },
    });
    expect(flattenCfn(props.JwtConfiguration.Issuer)).toMatch(new RegExp(`^https://cognito-idp\\.(<AWS::Region>|[a-z0-9-]+)\\.amazonaws\\.com/<${poolId}>$`));
  });

  it.each(consoleRoutes().map((r) => [routeKey(r), consoleProxied(r)] as const))('%s: the JWT authorizer, and the function of its IAM twin', (key, proxied) => {
    // A proxied route reaches its function through the proxy route (the function finds the route: admin.ts).
    const [mirror] = routesOf(consoleApiId).filter(([, r]) => r.Properties.RouteKey === (proxied ? CONSOLE_PROXY_KEY : key));
    const [twin] = routesOf(iamApiId).filter(([, r]) => r.Properties.RouteKey === key);
    expect(mirror![1].Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId() } });
    expect(twin![1].Properties.AuthorizationType).toBe('AWS_IAM');
    const uri = integrationOf(mirror![1]).Properties.IntegrationUri;
    expect(uri).toEqual(integrationOf(twin![1]).Properties.IntegrationUri);
    expect(integrationOf(mirror![1]).Properties).toMatchObject({ ApiId: { Ref: consoleApiId }, IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('builds no function of its own: every integration targets a function of the IAM API', () => {
    const iamFunctions = new Set(Object.values(stack.api.functions).map((fn) => logicalId(fn)));
    const integrations = ofType('AWS::ApiGatewayV2::Integration').filter(([, i]) => i.Properties.ApiId.Ref === consoleApiId);
    expect(integrations.length).toBeGreaterThan(0);
    for (const [, i] of integrations) expect(iamFunctions.has(i.Properties.IntegrationUri['Fn::GetAtt'][0])).toBe(true);
    expect(synth.sendwellFunctionResources).toHaveLength(Object.keys(stack.functions).length);
  });

  it('leaves every IAM route as it was: admin routes AWS_IAM, public routes NONE, none with an authorizer id', () => {
    const iamRoutes = routesOf(iamApiId);
    expect(iamRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(ROUTES.flatMap(routeKeysOf).sort());
    for (const [, r] of iamRoutes) {
      const def = ROUTES.find((d) => routeKeysOf(d).includes(r.Properties.RouteKey))!;
      expect(r.Properties.AuthorizationType, routeKey(def)).toBe(def.auth === 'admin' ? 'AWS_IAM' : 'NONE');
      expect(r.Properties.AuthorizerId).toBeUndefined();
    }
  });

  it('logs access as JSON without source IP or path, naming the caller by its Cognito sub', () => {
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage').find(([, s]) => s.Properties.ApiId.Ref === consoleApiId)!;
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format.caller).toBe('$context.authorizer.claims.sub');
    expect(Object.values(format)).not.toContain('$context.identity.sourceIp');
    expect(Object.values(format)).not.toContain('$context.path');
  });

  function authorizerId(): string {
    return ofType('AWS::ApiGatewayV2::Authorizer')[0]![0];
  }
});

describe('console site', () => {
  const bucket = json.Resources[bucketId]!;
  const distribution = json.Resources[distributionId]!.Properties.DistributionConfig;
  const s3Origin = distribution.Origins.find((o: any) => o.S3OriginConfig);
  const apiOrigin = distribution.Origins.find((o: any) => o.CustomOriginConfig);

  it('keeps the bucket private: all public access blocked, bucket owner enforced, S3-managed encryption, no versioning', () => {
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
  });

  it('is reached only through Origin Access Control: the bucket policy allows GetObject to this distribution alone and denies plain HTTP', () => {
    const policies = ofType('AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === bucketId);
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as any[];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(flattenCfn(allows[0].Condition.StringEquals['AWS:SourceArn'])).toMatch(new RegExp(`:distribution/<${distributionId}>$`));
    expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([
      expect.objectContaining({ Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
    ]);
    // The origin signs with OAC (sigv4, always), not a legacy origin access identity.
    expect(s3Origin).toMatchObject({ DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] }, S3OriginConfig: { OriginAccessIdentity: '' } });
    const oacId = s3Origin.OriginAccessControlId['Fn::GetAtt'][0] as string;
    expect(json.Resources[oacId]!.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(ofType('AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual([]);
  });

  it('serves HTTPS only (HTTP redirects), with the security headers policy on every behaviour', () => {
    const behaviours = [distribution.DefaultCacheBehavior, ...distribution.CacheBehaviors];
    for (const b of behaviours) {
      expect(b.ViewerProtocolPolicy).toBe('redirect-to-https');
      expect(b.ResponseHeadersPolicyId).toEqual({ Ref: logicalId(stack.consoleSite.responseHeaders) });
    }
    expect(distribution.DefaultCacheBehavior.TargetOriginId).toBe(s3Origin.Id);
    expect(distribution.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
  });

  it('sends /v1/* to the console API, uncached, with every viewer header but Host', () => {
    expect(distribution.CacheBehaviors).toHaveLength(1);
    const [v1] = distribution.CacheBehaviors;
    expect(v1).toMatchObject({
      PathPattern: '/v1/*',
      TargetOriginId: apiOrigin.Id,
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
    });
    expect([...v1.AllowedMethods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(apiOrigin.DomainName).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [logicalId(stack.consoleApi.httpApi), 'ApiEndpoint'] }] }] });
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
  });

  it('sends a CSP that allows its own origin, the Cognito domain (token exchange) and the upload bucket, no inline script, no framing', () => {
    const config = json.Resources[logicalId(stack.consoleSite.responseHeaders)]!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = flattenCfn(config.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    // Inline styles and https images only for the template preview's srcdoc frame, which inherits the policy.
    expect(csp).toContain("style-src 'self' 'unsafe-inline';");
    expect(csp).toContain("img-src 'self' data: https:;");
    expect(csp.match(/unsafe-inline/g)).toHaveLength(1);
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/upgrade-insecure-requests$/);
    // The upload bucket: a large import file goes from the browser straight to its pre-signed URL.
    const bucketId = logicalId(stack.importJobs.uploads);
    expect(csp).toMatch(new RegExp(`connect-src 'self' https://<${domainId}>\\.auth\\.(<AWS::Region>|[a-z0-9-]+)\\.amazoncognito\\.com https://<${bucketId}\\.RegionalDomainName>;`));
    expect(config).toMatchObject({
      StrictTransportSecurity: { IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY' },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer' },
    });
    expect(config.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
  });

  describe('viewer-request function (run here on the same code)', () => {
    const [, fn] = ofType('AWS::CloudFront::Function')[0]!;
    const handler = new Function(`${fn.Properties.FunctionCode as string}; return handler;`)() as (e: unknown) => any;
    const request = (uri: string) => handler({ request: { uri, method: 'GET', headers: {}, querystring: {} } });

    it('is associated with the default behaviour at viewer request, on cloudfront-js-2.0', () => {
      expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
      expect(distribution.DefaultCacheBehavior.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [ofType('AWS::CloudFront::Function')[0]![0], 'FunctionARN'] } },
      ]);
    });

    it.each(['/', '/console'])('redirects %s to /console/', (uri) => {
      expect(request(uri)).toEqual({ statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/console/' } } });
    });

    it.each(['/console/', '/console/campaigns', '/console/campaigns/cmp_123', '/console/people/abc/export'])('serves index.html for the client route %s', (uri) => {
      expect(request(uri).uri).toBe('/console/index.html');
    });

    it.each(['/console/index.html', '/console/assets/app-3f2a.js', '/console/config.json'])('serves the file %s as is', (uri) => {
      expect(request(uri).uri).toBe(uri);
    });

    it.each(['/favicon.ico', '/health', '/consolex/'])('answers 404 outside the app: %s', (uri) => {
      expect(request(uri)).toEqual({ statusCode: 404, statusDescription: 'Not Found' });
    });
  });

  it("logs CloudFront access to a private, TLS-only log bucket that expires them, and keeps it when the stack goes", () => {
    const logBucketId = logicalId(stack.consoleSite.logBucket);
    expect(distribution.Logging).toEqual({ Bucket: { 'Fn::GetAtt': [logBucketId, 'RegionalDomainName'] }, IncludeCookies: false, Prefix: 'cloudfront/' });
    const logBucket = json.Resources[logBucketId]!;
    expect(logBucket).toMatchObject({ DeletionPolicy: 'Retain' });
    expect(logBucket.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
    expect(logBucket.Properties.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 30, Status: 'Enabled' });
  });
});

describe('console deployment', () => {
  const [deploymentId, deployment] = ofType('Custom::CDKBucketDeployment')[0]!;
  const props = deployment.Properties;
  const assetDir = (i: number) => join(synth.assembly.directory, `asset.${String(props.SourceObjectKeys[i]).replace(/\.zip$/, '')}`);

  it('puts the built app and config.json under console/ in the console bucket, prunes, and invalidates /console/*', () => {
    expect(ofType('Custom::CDKBucketDeployment')).toHaveLength(1);
    expect(props).toMatchObject({
      DestinationBucketName: { Ref: bucketId },
      DestinationBucketKeyPrefix: 'console/',
      Prune: true,
      RetainOnDelete: false,
      DistributionId: { Ref: distributionId },
      DistributionPaths: ['/console/*'],
    });
    expect(props.SourceObjectKeys).toHaveLength(2);
    // Browsers revalidate every file: a deploy is never half-seen (stale index.html or config.json).
    expect(props.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(readFileSync(join(assetDir(0), 'index.html'), 'utf8')).toContain('<html');
    expect(deploymentId).toBeTruthy();
  });

  it('writes config.json for Cognito sign-in: the Managed Login domain, the console client, the console URL, the API on the same origin', () => {
    const config = JSON.parse(readFileSync(join(assetDir(1), 'config.json'), 'utf8'));
    // Deploy-time values are markers in the asset, filled by the deployment from SourceMarkers.
    const markers = props.SourceMarkers[1] as Record<string, unknown>;
    const fill = (value: string) => value.replace(/<<marker:0xbaba:\d+>>/g, (m) => `{${flattenCfn(markers[m])}}`);
    expect(config.apiBase).toBe('');
    expect(config.auth.kind).toBe('cognito');
    expect(fill(config.auth.clientId)).toBe(`{<${clientId}>}`);
    expect(fill(config.auth.domain)).toMatch(new RegExp(`^https://\\{<${domainId}>\\}\\.auth\\.(\\{<AWS::Region>\\}|[a-z0-9-]+)\\.amazoncognito\\.com$`));
    expect(fill(config.auth.redirectUri)).toBe(`{https://<${distributionId}.DomainName>/console/}`);
    expect(fill(config.auth.logoutUri)).toBe(fill(config.auth.redirectUri));
  });

  it("runs CDK's handler with its own role (no AWS managed policy) and log group, holding only the deployment's grants", () => {
    const roleId = logicalId(stack.consoleSite.deploymentRole);
    const role = json.Resources[roleId]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const { actionsOfRole, statementsOfRole } = policiesOf(json);
    for (const action of actionsOfRole(roleId)) expect(action).toMatch(/^(logs:(CreateLogStream|PutLogEvents)|s3:[A-Za-z]+\*?|cloudfront:(Create|Get)Invalidation)$/);
    // Writes go to the console bucket only.
    const writes = statementsOfRole(roleId).filter((s) => asArray(s.Action).some((a) => /^s3:(Put|Delete)/.test(a)));
    for (const s of writes) for (const r of asArray(s.Resource).map(flattenCfn)) expect(r).toMatch(new RegExp(`^<${bucketId}\\.Arn>(/\\*)?$`));
  });
});

describe('outputs', () => {
  it('has the console URL, the user pool id and the sign-in URL', () => {
    expect(json.Outputs?.ConsoleUrl?.Value).toEqual(CONSOLE_URL);
    expect(json.Outputs?.ConsoleUserPoolId?.Value).toEqual({ Ref: poolId });
    const signIn = flattenCfn(json.Outputs?.ConsoleSignInUrl?.Value);
    expect(signIn).toMatch(new RegExp(`^https://<${domainId}>\\.auth\\.(<AWS::Region>|[a-z0-9-]+)\\.amazoncognito\\.com/login\\?client_id=<${clientId}>&response_type=code&redirect_uri=`));
  });
});

describe('synth', () => {
  it('is cdk-nag clean with the console', () => {
    expect(findingsOf(synth.validationReport)).toEqual([]);
  });
});
