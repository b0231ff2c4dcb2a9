// The extension's settings (`lambdaBehavior.*`), read in one place and typed; the manifest declares them with their defaults.
import * as vscode from 'vscode';
import { DEFAULT_ACCEPT_FILE } from '../core/accepted';
import type { IgnoreRules } from '../core/ignore';
import type { Severity } from '../core/model';
import { DEFAULT_BASELINE_DAYS, DEFAULT_DETECT_HOURS, MAX_BASELINE_DAYS, MAX_DETECT_HOURS } from '../core/scan';
import { isEventDataStore, parseAthenaTableName, type AthenaTableName } from '../shared/athena-table';

export const SECTION = 'lambdaBehavior';

/** 2 GiB, as the manifest's default for `s3FlowLogs.maxBytes` (the AWS bundle's own default is the same). */
export const DEFAULT_S3_FLOW_LOGS_MAX_BYTES = 2 * 1024 ** 3;

export interface Settings {
  /** From user settings only: a workspace must not choose which credentials run (a profile may run a credential_process). */
  profile: string | undefined;
  regions: string[];
  baselineDays: number;
  detectHours: number;
  backgroundRescanMinutes: number;
  flowLogsQuery: 'insights' | 'filter';
  /** The bytes of flow-log objects a live scan reads from S3 at most (`s3FlowLogs.maxBytes`, whole GiB are 1024³). */
  s3FlowLogsMaxBytes: number;
  /** Live scans keep what AWS returned for closed hours and fetch only the hours they lack (`cache.enabled`, default on). */
  cacheEnabled: boolean;
  /** Threads parsing a large recorded flow-log file or many S3 objects (`threads`); undefined: one per core (the setting's 0). */
  threads: number | undefined;
  /**
   * Where a live scan gets AWS's ip-ranges document (a file or an http(s) URL); undefined: AWS's published URL. From
   * user settings only: a workspace's document could call its own server "S3" and so hide it.
   */
  ipRanges: string | undefined;
  /**
   * Where a live scan asks AWS's own engines instead of paging (user settings only: a workspace must not start billed
   * queries, nor Athena's writes to its results location): the flow logs' Athena table, the workgroup, and the trail in
   * a CloudTrail Lake event data store or an Athena table. Undefined: off (or not a valid name).
   */
  athenaFlowLogsTable: AthenaTableName | undefined;
  athenaWorkgroup: string | undefined;
  cloudTrailLakeEventDataStore: string | undefined;
  cloudTrailAthenaTable: AthenaTableName | undefined;
  diagnosticsMinimumSeverity: Severity;
  notificationsMinimumSeverity: Severity;
  ignore: IgnoreRules;
  acceptFile: string;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const profile = c.inspect<string>('profile')?.globalValue?.trim();
  return {
    profile: profile ? profile : undefined,
    regions: stringList(c.inspect<string[]>('regions')?.globalValue),
    baselineDays: wholeNumber(c.get('baselineDays'), 1, MAX_BASELINE_DAYS, DEFAULT_BASELINE_DAYS),
    detectHours: wholeNumber(c.get('detectHours'), 1, MAX_DETECT_HOURS, DEFAULT_DETECT_HOURS),
    backgroundRescanMinutes: wholeNumber(c.get('backgroundRescanMinutes'), 0, 24 * 60, 0),
    flowLogsQuery: c.get('flowLogsQuery') === 'filter' ? 'filter' : 'insights',
    s3FlowLogsMaxBytes: wholeNumber(c.get('s3FlowLogs.maxBytes'), 1, Number.MAX_SAFE_INTEGER, DEFAULT_S3_FLOW_LOGS_MAX_BYTES),
    cacheEnabled: c.get('cache.enabled') !== false,
    threads: wholeNumber(c.get('threads'), 0, 256, 0) || undefined,
    ipRanges: userString(c.inspect<unknown>('ipRanges')?.globalValue),
    athenaFlowLogsTable: tableName(userString(c.inspect<unknown>('athena.flowLogsTable')?.globalValue)),
    athenaWorkgroup: userString(c.inspect<unknown>('athena.workgroup')?.globalValue),
    cloudTrailLakeEventDataStore: eventDataStore(userString(c.inspect<unknown>('cloudTrail.lakeEventDataStore')?.globalValue)),
    cloudTrailAthenaTable: tableName(userString(c.inspect<unknown>('cloudTrail.athenaTable')?.globalValue)),
    diagnosticsMinimumSeverity: severity(c.get('diagnostics.minimumSeverity'), 'low'),
    notificationsMinimumSeverity: severity(c.get('notifications.minimumSeverity'), 'high'),
    // Restricted in untrusted workspaces (package.json capabilities): VS Code then hands back the user's values only.
    ignore: { peers: stringList(c.get('ignore.peers')), apiCalls: stringList(c.get('ignore.apiCalls')) },
    acceptFile: (c.get<string>('acceptFile') ?? '').trim() || DEFAULT_ACCEPT_FILE,
  };
}

/** Remembers the profile in the user's settings, never the workspace's: a workspace must not choose which credentials run. */
export function saveProfile(profile: string): Thenable<void> {
  return vscode.workspace.getConfiguration(SECTION).update('profile', profile, vscode.ConfigurationTarget.Global);
}

/** Fires `listener` when one setting changes; `key` is relative to the section (`diagnostics.minimumSeverity`). */
export function onSettingChanged(key: string, listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`${SECTION}.${key}`)) listener();
  });
}

/** A user-settings string, trimmed; undefined when empty or not a string. */
function userString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function tableName(value: string | undefined): AthenaTableName | undefined {
  return value === undefined ? undefined : parseAthenaTableName(value);
}

function eventDataStore(value: string | undefined): string | undefined {
  return value !== undefined && isEventDataStore(value) ? value : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()) : [];
}

function wholeNumber(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

function severity(value: unknown, fallback: Severity): Severity {
  return value === 'low' || value === 'medium' || value === 'high' ? value : fallback;
}
