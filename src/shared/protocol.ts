// The behaviour-diff webview's messages, host ↔ webview: every message either side may send, and the plain-data view model it shows.
//
// Shared by the extension host (src/extension/webview) and the browser code (src/webview): types only, plus the
// validator the host runs on everything the webview posts. Nothing here may import vscode or touch the DOM.
import type { Attribution, Coverage, CoverageSource, MetricsSummary, ReportWindow } from '../core/model';
import type { ApiDiffRow, DiffCounts, EvidenceEntry, PeerDiffRow } from '../report/view-model';

// ---------------------------------------------------------------- the view model (host → webview, plain data)

/**
 * What the webview shows for one function, built by the host from the last scan report with the report
 * view model (src/report/view-model.ts). Everything the engine decided (diff status, order, severity,
 * coverage gaps) is decided here already: the webview formats and lays out, it never recomputes.
 * Plain JSON data (it crosses postMessage); every string that came from AWS is passed through unchanged
 * and inserted into the DOM as text.
 */
export interface DiffViewModel {
  functionName: string;
  arn: string;
  runtime?: string;
  handler?: string;
  inVpc: boolean;
  accountId: string;
  region: string;
  /** Where the data came from: `demo account`, `scenario <dir>`, `profile <name>`. */
  source?: string;
  window: ReportWindow;
  /** Whole days of baseline and hours of detection window, from `window`. */
  baselineDays: number;
  detectHours: number;
  /** When the report was generated (ISO), if the report says. */
  generatedAt?: string;
  /** Most severe first (sortFindings). */
  findings: FindingView[];
  /** Network peers as a diff against the baseline (peerDiffRows): added, removed, unchanged. */
  peers: PeerDiffRow[];
  peerCounts: DiffCounts;
  /** The function's own AWS API calls (apiDiffRows, caller `function`). */
  apiCalls: ApiDiffRow[];
  apiCounts: DiffCounts;
  /** Calls the Lambda service made with the function's role (caller `lambda-service`): shown apart, never findings. */
  serviceCalls: ApiDiffRow[];
  serviceCounts: DiffCounts;
  /** Hourly invocations, errors and throttles of the detection window with the baseline's expected band; absent: no metrics. */
  metrics?: MetricsSummary;
  coverage: Coverage;
  /** The sources that did not cover the whole window (incompleteCoverage): shown in the header. */
  coverageGaps: Array<{ source: CoverageSource; value: string }>;
  /** Whether "Open function source" found the handler file; when not, reveal and open-source buttons say so. */
  sourceFound: boolean;
  /** The handler file's name (`index.mjs`), when found. */
  sourceFile?: string;
  /** The function's role judged against what its functions used, once it has been (Propose Least Privilege). */
  permissions?: PermissionsView;
}

/**
 * The Permissions section: what the engine judged (src/permissions), copied as data. Absent from the view until
 * the permissions of the function have been analysed in this window.
 */
export interface PermissionsView {
  roleName?: string;
  /** Every function on the role (a shared role is judged on what all of them used). */
  roleFunctions: string[];
  /** The role's policies could not be read: the lists are empty and this says why. */
  failure?: string;
  /** Actions used and granted: the action, its verdict in words, and the statements that grant it. */
  used: Array<{ action: string; verdict: string; grantedBy: string[]; newInDetection: boolean; byLambdaService: boolean }>;
  /** Granted statements' patterns with the actions nobody on the role used. */
  unused: Array<{ pattern: string; statement: string; unusedCount: number; unused: string[]; conditional: boolean }>;
  /** Actions called and denied (when called, or by the policies). */
  denied: Array<{ action: string; why: string }>;
  /** The least-privilege proposal: one line per statement, and its notes. */
  proposal: { statements: Array<{ sid: string; basis: string; actions: string[]; resources: string[] }>; notes: string[] };
  /** Where the proposal goes: `the statements of OrdersRole's policy orders in template.yaml`, or that it opens as a document. */
  target?: string;
}

export interface FindingView {
  /** The engine's finding id (stable across scans): what `accept` names. */
  id: string;
  kind: string;
  subject: string;
  /** `high`, `medium` or `low`; anything else (a newer engine) is shown as is and styled as unknown. */
  severity: string;
  attribution: Attribution | string;
  title: string;
  detail: string;
  recommendation?: string;
  /** The change it started after, or that there was none, in words (deploySentence); absent when the report says neither. */
  deploy?: string;
  /** Evidence fields as label and value (evidenceEntries), known fields first. */
  evidence: EvidenceEntry[];
  /** For API-call findings: the call, so the webview can offer to reveal the code that makes it. */
  apiCall?: { eventSource: string; eventName: string };
}

// ---------------------------------------------------------------- host → webview

/**
 * `show` — sent by the host after the webview's `ready`, again whenever the session changes (a rescan,
 * an accepted finding), and after an action the webview asked for has settled. `seq` grows with every
 * message the host posts to this panel; the webview echoes it in `rendered`. `focusFindingId`: the
 * finding the diff was opened from (scrolled into view and focused once).
 */
export interface ShowMessage {
  type: 'show';
  seq: number;
  view: DiffViewModel;
  focusFindingId?: string;
}

/**
 * `missing` — sent instead of `show` when the panel's function is not in the last scan (another account
 * was opened, the function was deleted, no scan yet). The webview says so and keeps no stale data.
 */
export interface MissingMessage {
  type: 'missing';
  seq: number;
  functionName: string;
  /** Why, in words: `this function is not in the last scan`. */
  reason: string;
}

export type HostToWebview = ShowMessage | MissingMessage;

// ---------------------------------------------------------------- webview → host

/** `ready` — sent once by the webview script when it has loaded (and again each time VS Code re-creates a hidden webview). */
export interface ReadyMessage {
  type: 'ready';
}

/** `revealApiCall` — the user clicked (or pressed Enter on) one of the function's own API-call rows, or a finding's "Show in code". */
export interface RevealApiCallMessage {
  type: 'revealApiCall';
  eventSource: string;
  eventName: string;
}

/** `accept` — the user pressed a finding's "Accept as normal". */
export interface AcceptMessage {
  type: 'accept';
  findingId: string;
}

/** `openSource` — the user pressed "Open source" in the header. */
export interface OpenSourceMessage {
  type: 'openSource';
}

/** `rescan` — the user pressed "Scan again" in the header. */
export interface RescanMessage {
  type: 'rescan';
}

/** `rendered` — sent by the webview after every render (`show` or `missing`), read back from the DOM it built. */
export interface RenderedMessage {
  type: 'rendered';
  summary: RenderedSummary;
}

export type WebviewToHost = ReadyMessage | RevealApiCallMessage | AcceptMessage | OpenSourceMessage | RescanMessage | RenderedMessage;

/** Which table a diff row is in. */
export type RenderedSection = 'peers' | 'api-calls' | 'service-calls';

/**
 * What the webview put on screen, read from its own DOM after a render (not from the model it was
 * given), for the extension-host tests and the log.
 */
export interface RenderedSummary {
  /** The `seq` of the message rendered. */
  seq: number;
  state: 'diff' | 'missing';
  /** The text of `#title`. */
  title: string;
  functionName: string;
  /** `#findings`' entries in order. */
  findings: Array<{ id: string; severity: string; title: string }>;
  /** Rows per section and status (`added`, `removed`, `unchanged`). */
  counts: Record<RenderedSection, Record<string, number>>;
  /** Every diff row in order: its section, status, subject, whether it is revealable, and its cells' texts. */
  rows: Array<{ section: RenderedSection; status: string; subject: string; revealable: boolean; cells: string[] }>;
  /** The chart: how many hourly points and expected-band segments it drew, how many points are above the band; `none` when the view says "no metrics". */
  chart: { kind: 'svg'; points: number; bandSegments: number; overBand: number; legend: string[] } | { kind: 'none'; text: string };
  /** The header's coverage-gap lines. */
  coverageGaps: string[];
  /** Tags of elements in the page that the renderer never creates (a hostile string that became markup would show here). */
  unexpectedElements: string[];
}

// ---------------------------------------------------------------- validation (host side)

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Strings the webview sends back are names and ids, never documents: anything longer is not ours. */
const MAX_FIELD = 2048;

function shortString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD;
}

/**
 * The message as a WebviewToHost, or undefined for anything else (unknown type, missing or oversized
 * fields). The host acts only on what this returns. `rendered` summaries are checked for shape only:
 * they are read by tests and the log, never acted on.
 */
export function parseWebviewMessage(message: unknown): WebviewToHost | undefined {
  if (!isRecord(message) || typeof message.type !== 'string') return undefined;
  switch (message.type) {
    case 'ready':
      return { type: 'ready' };
    case 'openSource':
      return { type: 'openSource' };
    case 'rescan':
      return { type: 'rescan' };
    case 'revealApiCall':
      return shortString(message.eventSource) && shortString(message.eventName)
        ? { type: 'revealApiCall', eventSource: message.eventSource, eventName: message.eventName }
        : undefined;
    case 'accept':
      return shortString(message.findingId) ? { type: 'accept', findingId: message.findingId } : undefined;
    case 'rendered': {
      const s = message.summary;
      if (!isRecord(s) || typeof s.seq !== 'number' || (s.state !== 'diff' && s.state !== 'missing')) return undefined;
      if (!Array.isArray(s.rows) || !Array.isArray(s.findings) || !isRecord(s.counts) || !isRecord(s.chart)) return undefined;
      return { type: 'rendered', summary: s as unknown as RenderedSummary };
    }
    default:
      return undefined;
  }
}
