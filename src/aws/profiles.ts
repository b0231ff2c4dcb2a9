// The profiles of the AWS config and credentials files, read with the SDK's own INI loader: small enough to load without the SDK's clients.
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
    for (const [name, section] of Object.entries(file ?? {}))
      byName.set(name, { ...byName.get(name), ...(section as Record<string, string | undefined>) });
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
  const { loadSharedConfigFiles } = require('@smithy/core/config') as {
    loadSharedConfigFiles(init: { ignoreCache: boolean }): Promise<SharedConfigFiles>;
  };
  return loadSharedConfigFiles({ ignoreCache: true });
}
