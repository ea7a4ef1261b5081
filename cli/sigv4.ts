/**
 * SigV4 for a deployed Sendwell API (API Gateway HTTP API with IAM auth, service `execute-api`). The signing itself
 * is the AWS SDK's own `@smithy/signature-v4`; this module gives it a SHA-256 from node:crypto, the request in its
 * shape, the region and the credentials from the standard AWS chain.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../lambdas/adapters/node-sha256.ts';
import { CliError } from './errors.ts';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names. Everything given here is signed and must be sent unchanged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Returns the headers to send: the given ones plus `authorization`, `x-amz-date` and, for temporary credentials, `x-amz-security-token`. */
export type RequestSigner = (request: RequestToSign) => Promise<Record<string, string>>;

export interface SignerOptions {
  readonly region: string;
  readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default 'execute-api' */
  readonly service?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export function createSigner(options: SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
    // API Gateway does not want `x-amz-content-sha256`; the payload hash is part of the signature either way.
    applyChecksum: false,
  });
  const now = options.now ?? (() => new Date());
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...headers, host: url.host },
        ...(body === undefined ? {} : { body }),
      },
      { signingDate: now() },
    );
    return { ...signed.headers };
  };
}

/** `https://abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`; undefined for a custom domain. */
export function regionFromUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname)?.[1];
}

/**
 * The region to sign for: `--region`, else the API's own hostname (it names the region the API lives in, which beats
 * a default region set for other work), else `AWS_REGION` / `AWS_DEFAULT_REGION`.
 */
export function resolveRegion(url: URL, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const region = flag || regionFromUrl(url) || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new CliError(`Cannot tell which AWS region ${url.host} is in: pass --region or set AWS_REGION.`);
  }
  return region;
}

/**
 * The standard AWS credential chain (environment, SSO, web identity, shared config and credentials files,
 * `credential_process`, container and instance metadata), resolved once and refreshed by the SDK when it expires.
 */
export async function credentialChain(): Promise<() => Promise<AwsCredentials>> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const provider = defaultProvider();
  return async () => {
    try {
      return await provider();
    } catch (e) {
      throw new CliError(
        `No AWS credentials to sign the request with (${(e as Error).message}). ` +
          'Set AWS_PROFILE (after `aws sso login` where needed) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; ' +
          'for the local stack use --api http://127.0.0.1:3000.',
      );
    }
  };
}
