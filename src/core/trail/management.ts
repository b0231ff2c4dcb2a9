// The management events the engine reads by name (ENI lifetimes, function changes): their names and their mapping from LookupEvents.
import { trailEventFromAws } from '../aws-shapes';
import type { TrailEvent } from '../model';

/** Lambda's Hyperplane ENIs are created and deleted with these, under the function's execution role (`awslambda_…` sessions). */
export const ENI_EVENT_NAMES = ['CreateNetworkInterface', 'DeleteNetworkInterface'] as const;

/** Changes to a function's code, configuration, versions and aliases, by whoever made them (a pipeline, a person). */
export const FUNCTION_CHANGE_EVENT_NAMES = [
  'CreateFunction20150331',
  'UpdateFunctionCode20150331v2',
  'UpdateFunctionConfiguration20150331v2',
  'PublishVersion20150331',
  'CreateAlias20150331',
  'UpdateAlias20150331',
] as const;

export const MANAGEMENT_EVENT_NAMES: readonly string[] = [...ENI_EVENT_NAMES, ...FUNCTION_CHANGE_EVENT_NAMES];

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/**
 * A LookupEvents `Event` with what the engine reads of a management event: its caller, request parameters and response
 * elements (from the `CloudTrailEvent` record, a JSON string).
 */
export function managementEventFromAws(raw: unknown): TrailEvent {
  const event = trailEventFromAws(raw);
  const text = obj(raw)?.CloudTrailEvent;
  let record: Json = {};
  if (typeof text === 'string') {
    // trailEventFromAws has parsed it already (and refused it if it is not JSON).
    record = obj(JSON.parse(text)) ?? {};
  }
  const identity = obj(record.userIdentity) ?? {};
  const actor = typeof identity.arn === 'string' ? identity.arn : typeof identity.type === 'string' ? identity.type : undefined;
  const requestParameters = obj(record.requestParameters);
  const responseElements = obj(record.responseElements);
  return {
    ...event,
    ...(actor ? { actor } : {}),
    ...(requestParameters ? { requestParameters } : {}),
    ...(responseElements ? { responseElements } : {}),
  };
}

/**
 * Who made a change, as people read it: `deploy-pipeline/codebuild-3238c9d1` for an assumed role's session, `alice` for
 * an IAM user, else the ARN (or identity type) as CloudTrail gave it. No account id: it adds nothing to the sentence.
 */
export function actorName(actor: string | undefined): string | undefined {
  if (!actor) return undefined;
  const assumed = /:assumed-role\/(.+)$/.exec(actor);
  if (assumed) return assumed[1];
  const user = /:iam::\d*:user\/(?:.*\/)?([^/]+)$/.exec(actor);
  if (user) return user[1];
  if (/:iam::\d*:root$/.test(actor)) return 'root';
  return actor;
}
