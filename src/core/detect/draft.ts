// A finding before the scan gives it its id and attribution.
import type { Attribution, Finding } from '../model';

export type DraftFinding = Omit<Finding, 'id' | 'attribution'> & { attribution?: Attribution };

/** A stable id: the same function, kind and subject give the same id in every scan. */
export function findingId(functionName: string, kind: string, subject: string): string {
  // FNV-1a over the three parts: short, stable, and no crypto dependency in the engine.
  let h = 0x811c9dc5;
  for (const ch of `${functionName}\u0000${kind}\u0000${subject}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return `${kind}:${(h >>> 0).toString(16).padStart(8, '0')}`;
}
