// Helpers of the extension-host suites that scan a live account: the environment changed for a while, and a `moto` AWS
// profile aimed at moto_server with the settings such a test scans with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { testCredentials } from '../support/moto';

/** Sets (or, for undefined, removes) environment variables while `body` runs: the extension host is one process, so they are put back whatever happens. */
export async function withEnv(vars: Record<string, string | undefined>, body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    await body();
  } finally {
    set(saved);
  }
}

/**
 * While `body` runs: an AWS profile `moto` (a credentials file in `scratch`) aimed at moto_server, the environment's own
 * AWS variables set aside, the extension connected to it in us-east-1, and the settings a live test scans with (a 3-day
 * baseline, FilterLogEvents, the fixture ip-ranges: no download). The settings are put back afterwards.
 */
export async function withMotoProfile(endpoint: string, scratch: string, extensionPath: string, body: () => Promise<void>): Promise<void> {
  const config = vscode.workspace.getConfiguration('lambdaBehavior');
  const credentialsFile = path.join(scratch, 'aws-credentials');
  fs.writeFileSync(
    credentialsFile,
    `[moto]\naws_access_key_id = ${testCredentials.accessKeyId}\naws_secret_access_key = ${testCredentials.secretAccessKey}\n`,
  );
  try {
    await config.update('baselineDays', 3, vscode.ConfigurationTarget.Global);
    await config.update('flowLogsQuery', 'filter', vscode.ConfigurationTarget.Global);
    await config.update('ipRanges', path.join(extensionPath, 'test', 'fixtures', 'ip-ranges.json'), vscode.ConfigurationTarget.Global);
    await withEnv(
      {
        AWS_CONFIG_FILE: path.join(scratch, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_PROFILE: undefined,
      },
      async () => {
        await vscode.commands.executeCommand('lambdaBehavior.chooseProfile', 'moto', 'us-east-1');
        await body();
      },
    );
  } finally {
    await config.update('baselineDays', undefined, vscode.ConfigurationTarget.Global);
    await config.update('flowLogsQuery', undefined, vscode.ConfigurationTarget.Global);
    await config.update('ipRanges', undefined, vscode.ConfigurationTarget.Global);
  }
}
