// One place that builds the SDK v3 clients: the developer's profile, adaptive retries, standard endpoint settings.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

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
}

export interface AwsClients {
  readonly profile?: string;
  ec2(): EC2Client;
  lambda(): LambdaClient;
  logs(): CloudWatchLogsClient;
  cloudtrail(): CloudTrailClient;
  cloudwatch(): CloudWatchClient;
  sts(): STSClient;
  region(): Promise<string>;
  destroy(): void;
}

/**
 * Clients are made on first use and share one credential provider, so a profile that assumes a role or
 * uses SSO resolves (and caches) its credentials once. The provider chain never prompts: an expired SSO
 * session fails with an error that says to log in again.
 */
export function createClients(options: ClientOptions = {}): AwsClients {
  const credentials = options.credentials ?? fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials,
    retryMode: 'adaptive' as const,
    maxAttempts: options.maxAttempts ?? 6,
  };
  const made: Array<{ destroy(): void }> = [];
  const lazy = <T extends { destroy(): void }>(make: () => T) => {
    let client: T | undefined;
    return () => {
      if (!client) made.push((client = make()));
      return client;
    };
  };
  const sts = lazy(() => new STSClient(common));
  return {
    profile: options.profile,
    ec2: lazy(() => new EC2Client(common)),
    lambda: lazy(() => new LambdaClient(common)),
    logs: lazy(() => new CloudWatchLogsClient(common)),
    cloudtrail: lazy(() => new CloudTrailClient(common)),
    cloudwatch: lazy(() => new CloudWatchClient(common)),
    sts,
    async region() {
      const r = sts().config.region;
      return typeof r === 'function' ? await r() : r;
    },
    destroy() {
      for (const c of made) c.destroy();
    },
  };
}

interface SharedConfigFiles {
  configFile?: Record<string, unknown>;
  credentialsFile?: Record<string, unknown>;
}

/**
 * The profile's name when neither the config nor the credentials file (AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE honoured, as the SDK reads them) has it: said plainly rather than as "no credentials".
 */
export async function missingProfile(profile: string | undefined): Promise<string | undefined> {
  if (!profile) return undefined;
  const files = await sharedConfigFiles();
  return files.configFile?.[profile] || files.credentialsFile?.[profile] ? undefined : profile;
}

export interface ProfileSummary {
  name: string;
  /** The profile's own `region`, when it sets one. */
  region?: string;
  /** How it gets credentials, for the picker: `IAM Identity Center`, `assumes a role`, `credential_process`, `static keys`. */
  kind?: string;
}

/** Every profile of the config and credentials files (as the SDK reads them), by name. */
export async function listProfiles(): Promise<ProfileSummary[]> {
  const files = await sharedConfigFiles();
  const byName = new Map<string, Record<string, string | undefined>>();
  for (const file of [files.credentialsFile, files.configFile]) {
    for (const [name, section] of Object.entries(file ?? {})) byName.set(name, { ...byName.get(name), ...(section as Record<string, string | undefined>) });
  }
  return [...byName].map(([name, s]) => ({ name, region: s.region, kind: profileKind(s) })).sort((a, b) => a.name.localeCompare(b.name));
}

function profileKind(s: Record<string, string | undefined>): string | undefined {
  if (s.sso_session || s.sso_start_url) return 'IAM Identity Center';
  if (s.role_arn) return 'assumes a role';
  if (s.credential_process) return 'credential_process';
  if (s.aws_access_key_id) return 'static keys';
  return undefined;
}

async function sharedConfigFiles(): Promise<SharedConfigFiles> {
  // A package subpath export, which this tsconfig's module resolution cannot type: the SDK's own INI loader.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadSharedConfigFiles } = require('@smithy/core/config') as { loadSharedConfigFiles(init: { ignoreCache: boolean }): Promise<SharedConfigFiles> };
  return loadSharedConfigFiles({ ignoreCache: true });
}
