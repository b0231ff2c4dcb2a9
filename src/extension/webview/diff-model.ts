// Builds the behaviour-diff webview's view model from a scan report: pure (no vscode), so node --test covers it.
import type { FunctionReport, ScanReport } from '../../core/model';
import { deploySentence } from '../../report/presentation';
import {
  apiDiffRows,
  diffCounts,
  evidenceEntries,
  incompleteCoverage,
  peerDiffRows,
  sortFindings,
  windowSpans,
} from '../../report/view-model';
import type { DiffViewModel, FindingView } from '../../shared/protocol';
import { permissionsViews } from '../permissions/view';

/** What the host knows about the function's source when it builds the view. */
export interface SourceInfo {
  found: boolean;
  /** The handler file's base name. */
  file?: string;
}

const API_FINDINGS = new Set(['new-api-call', 'access-denied']);

/**
 * The view of one function. Rows, order, statuses and gaps come from the report view model; strings are
 * copied as they are (the webview inserts them as text), so what the engine reported is what is shown.
 */
export function buildDiffViewModel(report: ScanReport, fn: FunctionReport, source: SourceInfo): DiffViewModel {
  const apiRows = apiDiffRows(fn);
  const apiCalls = apiRows.filter((r) => r.caller === 'function');
  const serviceCalls = apiRows.filter((r) => r.caller === 'lambda-service');
  const peers = peerDiffRows(fn);
  const findings = sortFindings(fn.findings).map((f): FindingView => {
    // The finding's subject names the call; the webview gets it from the function's own row, not by parsing the subject.
    const call = API_FINDINGS.has(f.kind) ? apiCalls.find((r) => r.subject === f.subject) : undefined;
    const deploy = deploySentence(f.evidence);
    return {
      id: f.id,
      kind: f.kind,
      subject: f.subject,
      severity: f.severity,
      attribution: f.attribution,
      title: f.title,
      detail: f.detail,
      ...(f.recommendation !== undefined ? { recommendation: f.recommendation } : {}),
      ...(deploy !== undefined ? { deploy } : {}),
      evidence: evidenceEntries(f.evidence),
      ...(call ? { apiCall: { eventSource: call.eventSource, eventName: call.eventName } } : {}),
    };
  });
  const w = report.window;
  const view: DiffViewModel = {
    functionName: fn.name,
    arn: fn.arn,
    inVpc: fn.inVpc,
    accountId: report.accountId,
    region: report.region,
    window: { baselineStart: w.baselineStart, baselineEnd: w.baselineEnd, detectStart: w.detectStart, detectEnd: w.detectEnd },
    ...windowSpans(w),
    findings,
    peers,
    peerCounts: diffCounts(peers),
    apiCalls,
    apiCounts: diffCounts(apiCalls),
    serviceCalls,
    serviceCounts: diffCounts(serviceCalls),
    coverage: fn.coverage,
    coverageGaps: incompleteCoverage(fn),
    sourceFound: source.found,
  };
  if (fn.runtime !== undefined) view.runtime = fn.runtime;
  if (fn.handler !== undefined) view.handler = fn.handler;
  if (report.source !== undefined) view.source = report.source;
  if (report.generatedAt !== undefined) view.generatedAt = report.generatedAt;
  if (fn.metrics) view.metrics = fn.metrics;
  if (source.found && source.file) view.sourceFile = source.file;
  // Judged on demand (Propose Least Privilege), for this scan: shown once it has been.
  const permissions = permissionsViews.get(report, fn.name);
  if (permissions) view.permissions = permissions;
  return view;
}
