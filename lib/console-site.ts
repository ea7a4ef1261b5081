/**
 * Where the console is served: a private S3 bucket behind CloudFront (Origin Access Control), the built single-page
 * app under `/console/` with its `config.json`, and `/v1/*` forwarded uncached to the console API, so the app calls
 * its API on its own origin (no CORS).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, Aws, CfnResource, DockerImage, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { rules } from 'cdk-nag';
import { Construct } from 'constructs';
import { buildConsoleSync } from '../console/build.ts';
import { consoleCsp } from '../console/csp.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the app lives in the bucket and on the distribution. */
export const CONSOLE_PATH = '/console/';

/** What the console reads at start (`/console/config.json`): how to sign in and where its API is. */
export interface ConsoleConfig {
  readonly auth: {
    readonly kind: 'cognito';
    /** `https://<prefix>.auth.<region>.amazoncognito.com` */
    readonly domain: string;
    readonly clientId: string;
    readonly redirectUri: string;
    readonly logoutUri: string;
  };
  /** Base of the API calls; `''`: the console's own origin (CloudFront's `/v1/*` behaviour). */
  readonly apiBase: string;
}

export interface ConsoleSiteProps {
  /** Deployment stage: names the viewer-request function (CloudFront Function names are unique per account). */
  readonly stage: string;
  /** The console API's `https://…execute-api…` URL: the origin of `/v1/*`. */
  readonly apiUrl: string;
  /** The Cognito domain (`https://<prefix>.auth.<region>.amazoncognito.com`): the only other origin the app talks to. */
  readonly signInOrigin: string;
  /** The import uploads bucket (`https://<bucket>.s3.<region>.amazonaws.com`): large files are PUT there directly. */
  readonly uploadOrigin?: string;
  /** Written to `/console/config.json` next to the app. */
  readonly config: ConsoleConfig;
  /**
   * Days CloudFront's access logs are kept in the log bucket.
   *
   * @default 30
   */
  readonly accessLogDays?: number;
  /**
   * Build the app into a directory (CDK local bundling, no Docker). Tests may pass a faster stand-in.
   *
   * @default buildConsoleSync from console/build.ts, minified
   */
  readonly build?: (outDir: string) => void;
}

/**
 * A viewer-request function on the S3 behaviour: `/` and `/console` redirect to `/console/`; a path under `/console/`
 * whose last segment has no dot is a client route of the app and gets `index.html`; anything else outside the app is a
 * 404 (the bucket holds nothing else, and S3 would answer 403).
 */
const VIEWER_REQUEST_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/console') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '${CONSOLE_PATH}' } } };
  }
  if (uri.indexOf('${CONSOLE_PATH}') !== 0) {
    return { statusCode: 404, statusDescription: 'Not Found' };
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '${CONSOLE_PATH}index.html';
  return request;
}`;

/**
 * The console's site.
 *
 * - Bucket: private (all public access blocked, bucket-owner-enforced), S3-managed encryption, TLS only, no
 *   versioning (its content is rebuilt from source on every deploy), deleted with the stack.
 * - Log bucket: CloudFront's access logs (ACLs enabled: the legacy log delivery writes with them), TLS only, expired
 *   after `accessLogDays`, retained (see docs/deploy.md).
 * - Distribution: HTTPS only (HTTP redirects), Origin Access Control to the bucket, a response-headers policy with HSTS,
 *   the CSP above, nosniff, DENY framing, no referrer; `/v1/*` → the console API with CachingDisabled and
 *   AllViewerExceptHostHeader (the `Authorization` header reaches API Gateway; the Host header is the API's own).
 * - Deployment: the app built locally by `buildConsoleSync`, plus `config.json`, under `console/` in the bucket, pruned
 *   and invalidated (`/console/*`) on every deploy.
 */
export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeaders: cloudfront.ResponseHeadersPolicy;
  readonly deployment: s3deploy.BucketDeployment;
  /** The role of the deployment's function (CDK's singleton): explicit, so no AWS managed policy is attached. */
  readonly deploymentRole: iam.Role;
  /** `https://<distribution domain>/console/` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard (legacy) logging writes through a bucket ACL grant.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays ?? 30) }],
      // Never deleted with the stack: CloudFormation cannot delete a bucket with objects in it, and emptying it on
      // delete would need another custom resource; the lifecycle rule empties it within accessLogDays.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This is the console's log bucket, the destination of CloudFront's access logs; logging its own access into itself would log the log writes. " +
        'It is private, TLS only, and only CloudFront log delivery writes to it.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      // Only build output, pruned by the deployment; emptied on delete by the deployment itself (retainOnDelete false).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "The console bucket holds only the built console (no data) and is read only by the console's CloudFront distribution through Origin Access Control; " +
        "CloudFront's access logs (the log bucket) record every request that reaches it, and writes come only from the stack's deployment.",
    });

    // CloudFront names are unique per account, across regions; CDK derives them from the stack name, which is the same
    // for a stage deployed in two regions. Stage and region make them unique (test/cdk/aws-limits.test.ts).
    const cloudFrontName = (what: string) => `sendwell-${props.stage}-${Aws.REGION}-${what}`;
    this.responseHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: cloudFrontName('console-headers'),
      comment: 'Sendwell console: HSTS, CSP, nosniff, no framing, no referrer',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp({ signInOrigin: props.signInOrigin, uploadOrigin: props.uploadOrigin, https: true }), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const viewerRequest = new cloudfront.Function(this, 'ViewerRequest', {
      // CDK's derived name for a function comes from the construct path alone: the same for every stage.
      functionName: cloudFrontName('console'),
      code: cloudfront.FunctionCode.fromInline(VIEWER_REQUEST_CODE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Sendwell console: / → /console/, client routes → index.html, 404 outside /console/',
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.apiUrl));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Sendwell console',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      logIncludesCookies: false,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
          originAccessControl: new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', { originAccessControlName: cloudFrontName('console-oac') }),
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeaders,
        compress: true,
        functionAssociations: [{ function: viewerRequest, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: new origins.HttpOrigin(apiDomain, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Every answer depends on the caller's token: never cached. With caching disabled, the all-viewer origin
          // request policy forwards the Authorization header; the Host header must be the API's own.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.responseHeaders,
        },
      },
    });
    acknowledgeDistribution(this.distribution);
    this.url = `https://${this.distribution.distributionDomainName}${CONSOLE_PATH}`;

    // The deployment's function is CDK's singleton; an explicit role and log group instead of the default role with
    // AWSLambdaBasicExecutionRole (as every Sendwell function, lib/functions.ts).
    const deploymentLogs = new logs.LogGroup(this, 'DeploymentLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.deploymentRole = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Sendwell console deployment (CDK BucketDeployment)',
    });
    deploymentLogs.grantWrite(this.deploymentRole);

    const build = props.build ?? ((outDir: string) => void buildConsoleSync({ outDir, minify: true }));
    const app = s3deploy.Source.asset(join(REPO_ROOT, 'console'), {
      // The hash of what was built, so a change anywhere the build reads (not only console/) deploys again.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always succeeds or throws. CDK requires an image for the Docker fallback.
        image: DockerImage.fromRegistry('sendwell/console-builds-locally-no-docker'),
        local: {
          tryBundle(outputDir: string): boolean {
            build(outputDir);
            return true;
          },
        },
      },
    });
    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [app, s3deploy.Source.jsonData('config.json', props.config)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      prune: true,
      // Browsers revalidate every file (a 304 when unchanged), so a deploy reaches everyone at once: index.html and
      // config.json must never be stale, and one deployment sets one Cache-Control for all its files.
      cacheControl: [s3deploy.CacheControl.noCache()],
      // Deleting the stack deletes the files, so the (unversioned) bucket is empty when CloudFormation deletes it.
      retainOnDelete: false,
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
      role: this.deploymentRole,
      logGroup: deploymentLogs,
      memoryLimit: 512,
    });
    acknowledgeDeployment(this, this.deploymentRole);
  }
}

/** Why each wildcard of the deployment role (granted by CDK's BucketDeployment, not by Sendwell) is there. */
const DEPLOYMENT_WILDCARDS: readonly (readonly [RegExp, string])[] = [
  [
    /^Action::s3:(GetBucket|GetObject|List|Abort|DeleteObject)\*$/,
    "Console deployment (CDK BucketDeployment): CDK's read (asset bucket) and read-write (console bucket) grants use S3's action groups; they apply only to the two buckets named in the same statements.",
  ],
  [
    /^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::cdk-[a-z0-9]+-assets-.+\/\*$/,
    'Console deployment (CDK BucketDeployment): reads the zipped console build CDK staged in the bootstrap asset bucket; asset objects are named by content hash, so the grant covers the bucket objects. Read only.',
  ],
  [
    /^Resource::<[A-Za-z0-9]+\.Arn>\/\*$/,
    'Console deployment (CDK BucketDeployment): writes and prunes the console files, which may be any object of the console bucket (under console/); the bucket holds nothing else.',
  ],
  [
    /^Resource::\*$/,
    'Console deployment (CDK BucketDeployment): CDK grants cloudfront:CreateInvalidation and GetInvalidation on "*" to invalidate /console/* after each deploy; the role can do nothing else with CloudFront.',
  ],
];

/**
 * The deployment's function is CDK's (Python, its runtime chosen by aws-cdk-lib) and its role holds CDK's grants:
 * acknowledge exactly the IAM5 findings cdk-nag's own rule reports on that policy, each with its reason, and fail the
 * synth on a wildcard nobody reviewed here (a new aws-cdk-lib could grant more).
 */
function acknowledgeDeployment(scope: Construct, role: iam.Role): void {
  const policy = role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
  const found = rules.iam.IAMNoWildcardPermissions(policy);
  for (const finding of Array.isArray(found) ? found : []) {
    const reviewed = DEPLOYMENT_WILDCARDS.find(([pattern]) => pattern.test(finding));
    if (!reviewed) throw new Error(`Sendwell: the console deployment role has an unreviewed wildcard ${finding} (lib/console-site.ts).`);
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: reviewed[1] });
  }
  const handler = Stack.of(scope)
    .node.findAll()
    .find((c): c is lambda.Function => c instanceof lambda.Function && c.role === role);
  if (!handler) throw new Error('Sendwell: expected CDK to build the console deployment function with the deployment role.');
  Validations.of(handler.node.defaultChild!).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      "Console deployment (CDK BucketDeployment): the function is CDK's own Python handler, and aws-cdk-lib pins its runtime to the version the handler is tested with; " +
      'it runs only during deployments. It moves with aws-cdk-lib upgrades.',
  });
}

/** The distribution's findings that a console for a handful of staff, on CloudFront's default domain, does not fix. */
function acknowledgeDistribution(distribution: cloudfront.Distribution): void {
  const on = Validations.of(distribution.node.defaultChild!);
  on.acknowledge({
    id: 'AwsSolutions-CFR1',
    reason:
      'The console is used by staff wherever they work; geo restriction would lock out travelling staff without protecting anything: ' +
      'every API call needs a Cognito token (MFA required), and the static files hold no data.',
  });
  on.acknowledge({
    id: 'AwsSolutions-CFR2',
    reason:
      'No WAF web ACL on the console distribution: a CloudFront web ACL lives in us-east-1 (a second stack) and costs a monthly fee per ACL and rule. ' +
      'The static files hold no data and every /v1 call is checked by the JWT authorizer and throttled by the console API stage. Add one if the console is attacked.',
  });
  on.acknowledge({
    id: 'AwsSolutions-CFR4',
    reason:
      "The console is served on CloudFront's default *.cloudfront.net domain and certificate, for which CloudFront fixes the viewer security policy (TLSv1); " +
      'choosing TLSv1.2_2021 needs a custom domain with an ACM certificate in us-east-1, which this stack does not take yet.',
  });
}
