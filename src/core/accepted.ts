// Accepted behaviour: findings the user marked as normal (`.lambda-behavior/baseline.json`), never reported again.
import type { Finding, FindingKind } from './model';
import { InputError } from './ports';

export const DEFAULT_ACCEPT_FILE = '.lambda-behavior/baseline.json';

export interface AcceptedEntry {
  /** A function name, or `*` for every function. */
  function: string;
  kind: FindingKind;
  subject: string;
  acceptedAt?: string;
  note?: string;
}

export interface AcceptedBehaviour {
  formatVersion: 1;
  accepted: AcceptedEntry[];
}

const KINDS: ReadonlySet<string> = new Set([
  'new-peer',
  'rejected-traffic',
  'traffic-spike',
  'new-api-call',
  'access-denied',
  'invocation-spike',
  'error-spike',
  'throttle-spike',
]);

export function emptyAccepted(): AcceptedBehaviour {
  return { formatVersion: 1, accepted: [] };
}

/** Parses the file's text; anything not of the format is an InputError that names the file and the entry. */
export function parseAccepted(text: string, file: string): AcceptedBehaviour {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const doc = json as Partial<AcceptedBehaviour>;
  if (!doc || typeof doc !== 'object' || doc.formatVersion !== 1 || !Array.isArray(doc.accepted)) {
    throw new InputError(`${file}: expected {"formatVersion": 1, "accepted": [...]}`);
  }
  doc.accepted.forEach((e, i) => {
    const ok = e && typeof e === 'object' && typeof e.function === 'string' && typeof e.subject === 'string' && KINDS.has(e.kind);
    if (!ok) throw new InputError(`${file}: accepted[${i}] needs "function", a known "kind" and "subject"`);
  });
  return { formatVersion: 1, accepted: doc.accepted };
}

export function isAccepted(doc: AcceptedBehaviour | undefined, functionName: string, finding: Pick<Finding, 'kind' | 'subject'>): boolean {
  if (!doc) return false;
  const subject = finding.subject.toLowerCase();
  return doc.accepted.some(
    (e) => (e.function === functionName || e.function === '*') && e.kind === finding.kind && e.subject.toLowerCase() === subject,
  );
}

/** A copy of the document with the finding accepted (no duplicate entries). */
export function accept(
  doc: AcceptedBehaviour,
  functionName: string,
  finding: Pick<Finding, 'kind' | 'subject'>,
  at: string,
  note?: string,
): AcceptedBehaviour {
  if (isAccepted(doc, functionName, finding)) return doc;
  const entry: AcceptedEntry = {
    function: functionName,
    kind: finding.kind,
    subject: finding.subject,
    acceptedAt: at,
    ...(note ? { note } : {}),
  };
  return { formatVersion: 1, accepted: [...doc.accepted, entry] };
}
