// One place that builds the SDK v3 clients: the developer's profile, adaptive retries, standard endpoint settings.
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, DeserializeMiddleware, MiddlewareStack } from '@aws-sdk/types';
import type { ScanReads } from '../core/model';

export interface ClientOptions {
  /** A profile from ~/.aws/config (AWS_CONFIG_FILE) and ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE); else AWS_PROFILE or default. */
  profile?: string;
  /** Else AWS_REGION, AWS_DEFAULT_REGION or the profile's region. */
  region?: string;
  /** Explicit credentials (tests); else the SDK's node provider chain for the profile. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** An endpoint for every service (tests); otherwise AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> as the SDK reads them. */
  endpoint?: string;
  maxAttempts?: number;
  /**
   * How long a connection may take to open, and a request's socket may stay silent (before the answer or in the
   * middle of it), before the attempt fails as a network error and is retried. Lambda and CloudTrail clients
   * have no socket timeout of their own: without one a stalled answer would hang the scan.
   */
  timeouts?: { connectMs?: number; socketMs?: number };
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_SOCKET_TIMEOUT_MS = 120_000;

export interface AwsClients {
  readonly profile?: string;
  /** What every client built here sent (each attempt, retries too) and what the readers say they scanned or downloaded. */
  readonly meter: ReadMeter;
  ec2(): EC2Client;
  lambda(): LambdaClient;
  logs(): CloudWatchLogsClient;
  cloudtrail(): CloudTrailClient;
  cloudwatch(): CloudWatchClient;
  sts(): STSClient;
  /** Path-style addressing with a custom endpoint (an emulator serves no bucket subdomains). */
  s3(): S3Client;
  athena(): AthenaClient;
  /**
   * Any other SDK v3 client from the same settings, one per constructor: for a client whose SDK lives in its own
   * bundle (IAM, in dist/aws-iam.js), so that this module never imports it.
   */
  client<T extends { destroy(): void }>(Client: new (config: SharedClientConfig) => T): T;
  region(): Promise<string>;
  destroy(): void;
}

/** The settings every client is built from. */
export interface SharedClientConfig {
  region?: string;
  profile?: string;
  endpoint?: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  retryMode: 'adaptive';
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; socketTimeout: number };
}

/**
 * Clients are made on first use and share one credential provider, so a profile that assumes a role or
 * uses SSO resolves (and caches) its credentials once. The provider chain never prompts: an expired SSO
 * session fails with an error that says to log in again.
 */
export function createClients(options: ClientOptions = {}): AwsClients {
  const credentials = options.credentials ?? fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const common: SharedClientConfig = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 6,
    requestHandler: {
      connectionTimeout: options.timeouts?.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      socketTimeout: options.timeouts?.socketMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
    },
  };
  const made: Array<{ destroy(): void }> = [];
  const meter = new ReadMeter();
  const lazy = <T extends { destroy(): void }>(make: () => T) => {
    let client: T | undefined;
    return () => {
      if (!client) made.push((client = metered(make(), meter)));
      return client;
    };
  };
  const sts = lazy(() => new STSClient(common));
  const others = new Map<unknown, () => { destroy(): void }>();
  return {
    profile: options.profile,
    meter,
    ec2: lazy(() => new EC2Client(common)),
    lambda: lazy(() => new LambdaClient(common)),
    logs: lazy(() => new CloudWatchLogsClient(common)),
    cloudtrail: lazy(() => new CloudTrailClient(common)),
    cloudwatch: lazy(() => new CloudWatchClient(common)),
    sts,
    s3: lazy(
      () =>
        new S3Client({
          ...common,
          ...(options.endpoint || process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_S3 ? { forcePathStyle: true } : {}),
        }),
    ),
    athena: lazy(() => new AthenaClient(common)),
    client<T extends { destroy(): void }>(Client: new (config: SharedClientConfig) => T): T {
      let get = others.get(Client);
      if (!get) others.set(Client, (get = lazy(() => new Client(common))));
      return get() as T;
    },
    async region() {
      const r = sts().config.region;
      return typeof r === 'function' ? await r() : r;
    },
    destroy() {
      for (const c of made) c.destroy();
    },
  };
}

/** SDK client class → IAM service prefix. */
const IAM_PREFIX: Record<string, string> = {
  AthenaClient: 'athena',
  CloudTrailClient: 'cloudtrail',
  CloudWatchClient: 'cloudwatch',
  CloudWatchLogsClient: 'logs',
  EC2Client: 'ec2',
  IAMClient: 'iam',
  LambdaClient: 'lambda',
  S3Client: 's3',
  STSClient: 'sts',
};
/** Operations whose IAM action has another name. */
const IAM_ACTION_OF: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket', 's3:HeadObject': 's3:GetObject' };

/** `logs:StartQuery` from the SDK's names for the client and the command (`CloudWatchLogsClient`, `StartQueryCommand`). */
export function iamActionOf(clientName: string | undefined, commandName: string | undefined): string {
  const prefix = IAM_PREFIX[clientName ?? ''] ?? (clientName ?? 'unknown').replace(/Client$/, '').toLowerCase();
  const operation = `${prefix}:${(commandName ?? 'Unknown').replace(/Command$/, '')}`;
  return IAM_ACTION_OF[operation] ?? operation;
}

/**
 * The tally of one source's reads, taken once per scan. Requests are counted where each attempt leaves (below the
 * retry middleware): a retried request is billed and throttled like any other. Bytes are said by the readers, which
 * alone know them: the queries' scanned bytes (what Logs Insights, Athena and Lake bill), the records downloaded.
 */
export class ReadMeter {
  private requests = new Map<string, number>();
  private scanned = 0;
  private downloaded = 0;
  private estimates: string[] = [];

  request(action: string): void {
    this.requests.set(action, (this.requests.get(action) ?? 0) + 1);
  }

  bytesScanned(bytes: number): void {
    if (Number.isFinite(bytes) && bytes > 0) this.scanned += bytes;
  }

  bytesDownloaded(bytes: number): void {
    if (Number.isFinite(bytes) && bytes > 0) this.downloaded += bytes;
  }

  estimate(text: string): void {
    this.estimates.push(text);
  }

  /** What was read since the last take, and a fresh start. */
  take(): ScanReads {
    const reads: ScanReads = {
      requests: Object.fromEntries([...this.requests].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      bytesScanned: this.scanned,
      bytesDownloaded: this.downloaded,
      estimates: this.estimates,
    };
    this.requests = new Map();
    this.scanned = 0;
    this.downloaded = 0;
    this.estimates = [];
    return reads;
  }
}

const METER_MIDDLEWARE = 'lambdaBehaviorReadMeter';

/**
 * Counts each attempt of every command the client sends. The deserialize step runs inside the retry middleware (which
 * is in finalizeRequest), once per attempt; counted before the attempt goes out, so that a failed one counts too.
 */
function metered<T>(client: T, meter: ReadMeter): T {
  const stack = (client as { middlewareStack?: MiddlewareStack<object, object> }).middlewareStack;
  if (!stack) return client;
  const count: DeserializeMiddleware<object, object> = (next, context) => (args) => {
    meter.request(iamActionOf(context.clientName, context.commandName));
    return next(args);
  };
  stack.add(count, { step: 'deserialize', name: METER_MIDDLEWARE, priority: 'high', override: true });
  return client;
}

export { listProfiles, missingProfile, type ProfileSummary } from './profiles';
