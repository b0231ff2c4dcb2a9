// Opening an account: the demo, a recorded scenario directory, or a live AWS profile + region; and the commands that choose them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { throughHourCache } from './cache';
import type { ExtensionDeps } from './deps';
import type { Connection, ConnectionSpec, OpenOptions, OpenedSource } from './session';
import { demoConnection, replayConnection } from './session';
import { readSettings, saveProfile } from './settings';

type AwsModule = typeof import('../aws/source');
type ProfilesModule = typeof import('../aws/profiles');

/** The live backend and with it the AWS SDK (dist/aws.js, about 4 MB): required on first use, never at activation. */
function loadAws(): AwsModule {
  // The bundle pins its SDK version: a warning about future SDK releases is nothing a user can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../aws/source') as AwsModule;
}

/**
 * Where the live backend keeps AWS's ip-ranges document between scans (the extension's global storage): set once at
 * registration, so that a connection restored from a saved scan finds it as well as one chosen by command.
 */
let ipRangesCacheDir: string | undefined;

/** The AWS config files' profiles: a small bundle of its own (dist/aws-profiles.js), so that a picker does not wait for the SDK. */
function loadProfiles(): ProfilesModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../aws/profiles') as ProfilesModule;
}

export function scenarioConnection(dir: string): Connection {
  return replayConnection({ kind: 'scenario', dir }, `scenario ${path.basename(dir)}`, dir);
}

export function profileConnection(profile: string, region: string | undefined): Connection {
  const label = region ? `profile ${profile} · ${region}` : `profile ${profile}`;
  return {
    kind: 'profile',
    label,
    spec: { kind: 'profile', profile, ...(region ? { region } : {}) },
    async open(options: OpenOptions): Promise<OpenedSource> {
      const missing = await loadProfiles().missingProfile(profile);
      if (missing)
        throw new Error(
          `profile ${missing} is not in ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'} or ${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'}`,
        );
      const settings = readSettings();
      const location = settings.ipRanges;
      const workgroup = settings.athenaWorkgroup ? { workgroup: settings.athenaWorkgroup } : {};
      const source = loadAws().openAws({
        profile,
        region,
        flowLogsQuery: options.flowLogsQuery,
        ipRanges: { ...(location ? { location } : {}), ...(ipRangesCacheDir ? { cacheDir: ipRangesCacheDir } : {}) },
        maxS3Bytes: settings.s3FlowLogsMaxBytes,
        flowThreads: { threads: settings.threads },
        ...(settings.athenaFlowLogsTable ? { flowLogsAthena: { ...settings.athenaFlowLogsTable, ...workgroup } } : {}),
        // A Lake event data store when both are set: one way to read the trail.
        ...(settings.cloudTrailLakeEventDataStore
          ? { cloudTrailLake: settings.cloudTrailLakeEventDataStore }
          : settings.cloudTrailAthenaTable
            ? { cloudTrailAthena: { ...settings.cloudTrailAthenaTable, ...workgroup } }
            : {}),
        onNotice: options.onNotice,
      });
      // Through the cache of closed hours (global storage) unless `lambdaBehavior.cache.enabled` is off: a rescan pays
      // AWS only for the hours the cache lacks.
      return throughHourCache(source);
    },
  };
}

/** Reopens what a saved scan was of; undefined when its scenario directory is gone. */
export function connectionFromSpec(spec: ConnectionSpec | undefined, kind: string, extensionUri: vscode.Uri): Connection | undefined {
  if (spec?.kind === 'scenario') return fs.existsSync(path.join(spec.dir, 'scenario.json')) ? scenarioConnection(spec.dir) : undefined;
  if (spec?.kind === 'profile') return profileConnection(spec.profile, spec.region);
  return spec?.kind === 'demo' || kind === 'demo' ? demoConnection(extensionUri) : undefined;
}

/** Commercial regions that run Lambda, offered after the user's own (`lambdaBehavior.regions`) and the profile's. */
const KNOWN_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ca-west-1',
  'sa-east-1',
  'mx-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ap-south-1',
  'ap-south-2',
  'ap-east-1',
  'me-south-1',
  'me-central-1',
  'il-central-1',
  'af-south-1',
];

export function registerConnectionCommands(context: vscode.ExtensionContext, deps: ExtensionDeps): void {
  const { session, log } = deps;
  ipRangesCacheDir = context.globalStorageUri.fsPath;
  context.subscriptions.push(
    vscode.commands.registerCommand('lambdaBehavior.openDemo', () => {
      session.connect(demoConnection(deps.extensionUri));
      log.info('[session] opened the demo account');
    }),

    vscode.commands.registerCommand('lambdaBehavior.openScenario', async (dir?: unknown) => {
      let chosen = typeof dir === 'string' ? dir : dir instanceof vscode.Uri ? dir.fsPath : undefined;
      if (!chosen) {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          openLabel: 'Open scenario',
          title: 'A scenario directory (lambda-behavior record --out DIR)',
          defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        });
        chosen = picked?.[0]?.fsPath;
      }
      if (!chosen) return undefined;
      if (!fs.existsSync(path.join(chosen, 'scenario.json'))) {
        void vscode.window.showErrorMessage(
          `Lambda Behavior: ${chosen} is not a scenario directory (it has no scenario.json). Record one with "lambda-behavior record --out DIR".`,
        );
        return undefined;
      }
      const connection = scenarioConnection(chosen);
      session.connect(connection);
      log.info(`[session] opened ${connection.label} (${chosen})`);
      return connection.label;
    }),

    vscode.commands.registerCommand('lambdaBehavior.chooseProfile', async (profileArg?: unknown, regionArg?: unknown) => {
      const profile = typeof profileArg === 'string' ? profileArg : await pickProfile(log);
      if (!profile) return undefined;
      const settings = readSettings();
      const region =
        typeof regionArg === 'string'
          ? regionArg
          : (settings.regions[0] ?? (await profileRegion(profile)) ?? envRegion() ?? (await pickRegion(profile)));
      if (!region) return undefined;
      if (settings.profile !== profile) await saveProfile(profile);
      const connection = profileConnection(profile, region);
      session.connect(connection);
      log.info(`[session] opened ${connection.label}`);
      return connection.label;
    }),

    vscode.commands.registerCommand('lambdaBehavior.chooseRegion', async (regionArg?: unknown) => {
      const current = session.connection?.spec;
      const profile = current?.kind === 'profile' ? current.profile : readSettings().profile;
      if (!profile) return vscode.commands.executeCommand('lambdaBehavior.chooseProfile');
      const region =
        typeof regionArg === 'string' ? regionArg : await pickRegion(profile, current?.kind === 'profile' ? current.region : undefined);
      if (!region) return undefined;
      const connection = profileConnection(profile, region);
      session.connect(connection);
      log.info(`[session] opened ${connection.label}`);
      return connection.label;
    }),
  );
}

async function pickProfile(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const quickPick = vscode.window.createQuickPick<vscode.QuickPickItem & { profile: string }>();
  quickPick.title = 'Lambda Behavior: choose an AWS profile';
  quickPick.placeholder = `Profiles of ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'} and ${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'}`;
  quickPick.busy = true;
  quickPick.show();
  const chosen = new Promise<string | undefined>((resolve) => {
    quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]?.profile));
    quickPick.onDidHide(() => resolve(undefined));
  });
  try {
    const profiles = await loadProfiles().listProfiles();
    const current = readSettings().profile;
    quickPick.items = profiles.map((p) => ({
      label: p.name,
      description: [p.name === current ? 'current' : undefined, p.region, p.kind].filter(Boolean).join(' · '),
      profile: p.name,
    }));
    if (profiles.length === 0) quickPick.placeholder = 'No AWS profile found: run "aws configure" or "aws configure sso" first';
  } catch (err) {
    log.warn(`[session] could not read the AWS profiles: ${errorMessage(err)}`);
    quickPick.placeholder = `Could not read the AWS config files: ${errorMessage(err)}`;
  } finally {
    quickPick.busy = false;
  }
  const profile = await chosen;
  quickPick.dispose();
  return profile;
}

async function profileRegion(profile: string): Promise<string | undefined> {
  try {
    return (await loadProfiles().listProfiles()).find((p) => p.name === profile)?.region;
  } catch {
    return undefined;
  }
}

function envRegion(): string | undefined {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
}

async function pickRegion(profile: string, current?: string): Promise<string | undefined> {
  const own = readSettings().regions;
  const fromProfile = await profileRegion(profile);
  const first = [...own, fromProfile, envRegion()].filter((r): r is string => !!r);
  const ordered = [...new Set([...first, ...KNOWN_REGIONS])];
  const picked = await vscode.window.showQuickPick(
    ordered.map((r) => ({
      label: r,
      description: [
        r === current ? 'current' : undefined,
        own.includes(r) ? 'from lambdaBehavior.regions' : undefined,
        r === fromProfile ? `profile ${profile}` : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
    })),
    { title: `Lambda Behavior: the region to scan with profile ${profile}`, placeHolder: 'A region (type to filter)' },
  );
  return picked?.label;
}
