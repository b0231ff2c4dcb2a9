// CloudTrail events attributed to functions by assumed-role session, summed per API call, and the findings they raise.
import { apiSubject, toIso, type ApiCallReport, type EpochMs, type LambdaFunction, type TrailEvent } from '../model';
import type { DraftFinding } from '../detect/draft';

const LAMBDA_SERVICE_SESSION = /^awslambda_/;
const SAMPLE_IDS = 5;
/** Calls whose first use deserves a high-severity look: identity, account and key management, and reconnaissance. */
const SENSITIVE_SOURCES = new Set(['iam.amazonaws.com', 'sts.amazonaws.com', 'organizations.amazonaws.com', 'account.amazonaws.com']);
const RECON_CALL = /^(List|Describe|GetAccount)/;

export function isDenied(e: TrailEvent): boolean {
  const code = e.errorCode ?? '';
  return (
    code === 'AccessDenied' || code === 'UnauthorizedOperation' || code === 'Client.UnauthorizedOperation' || /AccessDenied/i.test(code)
  );
}

interface Side {
  count: number;
  errors: number;
  denied: number;
  first: EpochMs;
  last: EpochMs;
  eventIds: string[];
  errorMessages: string[];
}

interface CallTally {
  eventSource: string;
  eventName: string;
  caller: 'function' | 'lambda-service';
  baseline: Side;
  detect: Side;
}

const side = (): Side => ({ count: 0, errors: 0, denied: 0, first: Infinity, last: -Infinity, eventIds: [], errorMessages: [] });

/** Tallies events into per-function calls as they stream in; events of no scanned function are counted apart. */
export class TrailAttributor {
  private readonly byFunction = new Map<string, Map<string, CallTally>>();
  private readonly functionsByRole = new Map<string, string[]>();
  private readonly functionRole = new Map<string, string>();
  unattributed = 0;
  events = 0;
  /** Where the calls came from when not from LookupEvents (`CloudTrail Lake eds-1: 1 query, ...`): coverage names it. */
  readFrom?: string;

  constructor(
    functions: readonly LambdaFunction[],
    private readonly detectStart: EpochMs,
  ) {
    for (const f of functions) {
      const role = f.role.slice(f.role.lastIndexOf('/') + 1);
      this.functionRole.set(f.name, role);
      const list = this.functionsByRole.get(role) ?? [];
      list.push(f.name);
      this.functionsByRole.set(role, list);
      this.byFunction.set(f.name, new Map());
    }
  }

  add(e: TrailEvent): void {
    this.events++;
    const session = e.sessionName ?? '';
    if (LAMBDA_SERVICE_SESSION.test(session)) {
      // Lambda itself acting with the execution role (e.g. decrypting environment variables): every function with that role.
      const fns = e.roleName ? this.functionsByRole.get(e.roleName) : undefined;
      if (!fns) return void this.unattributed++;
      for (const fn of fns) this.tally(fn, e, 'lambda-service');
      return;
    }
    const role = this.functionRole.get(session);
    // A session named like a function but under another role (or no role) is not that function's code.
    if (role === undefined || e.roleName !== role) return void this.unattributed++;
    this.tally(session, e, 'function');
  }

  calls(functionName: string): CallTally[] {
    return [...(this.byFunction.get(functionName)?.values() ?? [])];
  }

  private tally(fn: string, e: TrailEvent, caller: CallTally['caller']): void {
    const calls = this.byFunction.get(fn)!;
    const key = `${caller} ${e.eventSource} ${e.eventName}`;
    let t = calls.get(key);
    if (!t) calls.set(key, (t = { eventSource: e.eventSource, eventName: e.eventName, caller, baseline: side(), detect: side() }));
    const s = e.eventTime >= this.detectStart ? t.detect : t.baseline;
    s.count++;
    if (e.errorCode) s.errors++;
    if (isDenied(e)) {
      s.denied++;
      if (e.errorMessage && s.errorMessages.length < 2) s.errorMessages.push(e.errorMessage);
    }
    s.first = Math.min(s.first, e.eventTime);
    s.last = Math.max(s.last, e.eventTime);
    if (s.eventIds.length < SAMPLE_IDS) s.eventIds.push(e.eventId);
  }
}

export function apiCallReport(t: CallTally): ApiCallReport {
  const b = t.baseline;
  const d = t.detect;
  return {
    eventSource: t.eventSource,
    eventName: t.eventName,
    count: d.count,
    errors: d.errors,
    inBaseline: b.count > 0,
    caller: t.caller,
    ...(d.denied ? { denied: d.denied } : {}),
    ...(b.count ? { baseline: { count: b.count, errors: b.errors, firstSeen: toIso(b.first), lastSeen: toIso(b.last) } } : {}),
    ...(d.count ? { firstSeen: toIso(d.first), lastSeen: toIso(d.last), sampleEventIds: d.eventIds } : {}),
  };
}

/** New calls and new denials by the function's own code (the Lambda service's calls never raise one). */
export function callFindings(t: CallTally): DraftFinding[] {
  if (t.caller !== 'function' || t.detect.count === 0) return [];
  const d = t.detect;
  const b = t.baseline;
  const subject = apiSubject(t.eventSource, t.eventName);
  const service = t.eventSource.replace(/\.amazonaws\.com$/, '');
  // CloudTrail names some APIs with their version (ListFunctions20150331): the IAM action and SDK name have none.
  const action = t.eventName.replace(/\d{8}(v\d+)?$/, '');
  const call = `${service}:${action}`;
  const evidence = { firstSeen: toIso(d.first), lastSeen: toIso(d.last), count: d.count, eventIds: d.eventIds };
  if (d.denied > 0 && b.denied === 0) {
    return [
      {
        kind: 'access-denied',
        subject,
        severity: 'high',
        title: `Denied ${call}${b.count === 0 ? ' (never called before)' : ''}`,
        detail:
          `The function's code called ${call} ${d.count} time(s) since ${toIso(d.first)} and was denied ${d.denied} time(s)` +
          (b.count === 0 ? '; it never made this call in the baseline.' : '.') +
          ' Code asking for permissions it was not given is either a bug after a deployment or someone using the function to probe.',
        recommendation: `Find the code that calls ${action}; if it is legitimate, grant the IAM action ${call} to the execution role.`,
        evidence: { ...evidence, denied: d.denied, errorMessages: d.errorMessages },
      },
    ];
  }
  if (b.count === 0 && d.count > d.denied) {
    const sensitive = SENSITIVE_SOURCES.has(t.eventSource) || RECON_CALL.test(t.eventName);
    return [
      {
        kind: 'new-api-call',
        subject,
        severity: sensitive ? 'high' : 'medium',
        title: `New API call ${call}`,
        detail:
          `The function's code called ${call} ${d.count} time(s) since ${toIso(d.first)} and never in the baseline.` +
          (sensitive ? ' Listing or describing account resources, or identity calls, is typical of reconnaissance.' : ''),
        recommendation: `Find the code that calls ${action}; if the new call is expected (a new feature), accept it as normal.`,
        evidence,
      },
    ];
  }
  return [];
}
