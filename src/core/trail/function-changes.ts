// Changes to functions from CloudTrail (what changed, when, by whom) and the VPC configuration each function had over time.
import type { EpochMs, LambdaFunction, TrailEvent, VpcConfig } from '../model';
import { actorName, FUNCTION_CHANGE_EVENT_NAMES } from './management';

const CHANGE_NAMES: ReadonlySet<string> = new Set(FUNCTION_CHANGE_EVENT_NAMES);

export interface FunctionChange {
  functionName: string;
  eventName: string;
  time: EpochMs;
  eventId: string;
  /** Who made it, as people read it (`deploy-pipeline/codebuild-…`). */
  by?: string;
  /**
   * The VPC configuration the change set, when it set one (CreateFunction, UpdateFunctionConfiguration with `vpcConfig`);
   * null when it took the function out of any VPC.
   */
  vpc?: VpcConfig | null;
}

/** A span of time in which a function had one VPC configuration (undefined: not in a VPC). */
export interface VpcPeriod {
  from: EpochMs;
  /** Exclusive; Infinity for the configuration it has now. */
  to: EpochMs;
  vpc: VpcConfig | undefined;
}

/**
 * The function a change names: `requestParameters.functionName` is a name, a full ARN
 * (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`) or a partial one (`<account>:function:<name>`).
 */
export function functionNameOf(ref: unknown): string | undefined {
  if (typeof ref !== 'string' || ref.length === 0) return undefined;
  const m = /(?:^|:)function:([^:]+)/.exec(ref);
  if (m) return m[1];
  // A name never holds a colon: what follows one is a qualifier (`name:alias`).
  return ref.split(':')[0] || undefined;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function vpcOf(parameters: Record<string, unknown> | undefined): VpcConfig | null | undefined {
  const v = parameters?.vpcConfig;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const c = v as Record<string, unknown>;
  const subnetIds = strings(c.subnetIds);
  if (subnetIds.length === 0) return null;
  return { subnetIds, securityGroupIds: strings(c.securityGroupIds), ...(typeof c.vpcId === 'string' ? { vpcId: c.vpcId } : {}) };
}

/** The successful function changes among `events` (once each, whatever the pages repeat), oldest first, by function name. */
export function functionChanges(events: Iterable<TrailEvent>): Map<string, FunctionChange[]> {
  const seen = new Set<string>();
  const out = new Map<string, FunctionChange[]>();
  for (const e of events) {
    if (!CHANGE_NAMES.has(e.eventName) || e.errorCode) continue;
    if (e.eventId && seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    const functionName = functionNameOf(e.requestParameters?.functionName) ?? functionNameOf(e.responseElements?.functionName);
    if (!functionName) continue;
    const vpc =
      e.eventName === 'CreateFunction20150331' || e.eventName === 'UpdateFunctionConfiguration20150331v2'
        ? vpcOf(e.requestParameters)
        : undefined;
    const by = actorName(e.actor);
    const change: FunctionChange = {
      functionName,
      eventName: e.eventName,
      time: e.eventTime,
      eventId: e.eventId,
      ...(by ? { by } : {}),
      ...(vpc !== undefined ? { vpc } : {}),
    };
    const list = out.get(functionName);
    if (list) list.push(change);
    else out.set(functionName, [change]);
  }
  for (const list of out.values()) list.sort((a, b) => a.time - b.time);
  return out;
}

/**
 * The VPC configurations `fn` had, oldest first, as far as they are known: between two changes that set one, the
 * earlier's; from the last such change on, the current one (ListFunctions). Before the first change nothing is known,
 * except when there was none: then the current configuration held since `unchangedSince` (the start of a lookup that
 * succeeded, or `LastModified`), whichever is earlier.
 */
export function vpcPeriods(fn: LambdaFunction, changes: readonly FunctionChange[], unchangedSince: EpochMs | undefined): VpcPeriod[] {
  const setting = changes.filter((c) => c.vpc !== undefined);
  const periods: VpcPeriod[] = [];
  for (let i = 0; i < setting.length - 1; i++) {
    periods.push({ from: setting[i].time, to: setting[i + 1].time, vpc: setting[i].vpc ?? undefined });
  }
  const since = setting.length ? setting[setting.length - 1].time : Math.min(unchangedSince ?? Infinity, lastModifiedTime(fn) ?? Infinity);
  // Neither a lookup nor LastModified: the configuration is all there is, as for the ENIs EC2 lists.
  periods.push({ from: Number.isFinite(since) ? since : -Infinity, to: Infinity, vpc: fn.vpc });
  return periods;
}

/** ListFunctions' `LastModified` (`2026-11-22T04:07:25.000+0000`) as a time, when it is one. */
export function lastModifiedTime(fn: LambdaFunction): EpochMs | undefined {
  const t = fn.lastModified ? Date.parse(fn.lastModified) : NaN;
  return Number.isFinite(t) ? t : undefined;
}
