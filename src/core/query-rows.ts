// Aggregate rows as AWS's query engines return them (Athena, CloudTrail Lake: text by column name) into the engine's flow and trail rows; shared by the live source and the replay of what it recorded.
import type { FlowAggregate } from './model';
import type { TrailCallRow } from './ports';
import { HOUR_MS } from './time';

/** Evidence per trail row, as the attributor keeps per call: 5 event ids, 2 error messages. */
export const TRAIL_ROW_IDS = 5;
export const TRAIL_ROW_MESSAGES = 2;

/**
 * Flow rows named as the Logs Insights query names them (`eni`, `remote`, `port`, `protocol`, `action`, `hour` in hours
 * since the epoch, `flows`, `packets`, `bytes`, `first` and `last` in seconds, `service` or `-`); a row it cannot read is
 * left out.
 */
export function flowRowsToAggregates(rows: ReadonlyArray<Readonly<Record<string, string | undefined>>>): FlowAggregate[] {
  const out: FlowAggregate[] = [];
  for (const v of rows) {
    const action = v.action === 'REJECT' ? 'REJECT' : v.action === 'ACCEPT' ? 'ACCEPT' : undefined;
    const port = Number(v.port);
    const protocol = Number(v.protocol);
    const hour = Number(v.hour);
    if (!action || !v.eni || !v.remote || !Number.isInteger(port) || !Number.isInteger(protocol) || !Number.isFinite(hour) || v.hour === '')
      continue;
    out.push({
      eniId: v.eni,
      remoteAddress: v.remote,
      remotePort: port,
      protocol,
      action,
      hour: hour * HOUR_MS,
      flows: Number(v.flows) || 0,
      packets: Number(v.packets) || 0,
      bytes: Number(v.bytes) || 0,
      first: (Number(v.first) || hour * 3600) * 1000,
      last: (Number(v.last) || hour * 3600) * 1000,
      ...(v.service && v.service !== '-' ? { remoteService: v.service } : {}),
    });
  }
  return out;
}

/**
 * Trail rows (`arn` of the role session, `source`, `name`, `error`, `calls`, `first` and `last` in seconds, `ids` comma
 * separated, `messages` one a line) into the engine's; an identity that is not a role session, or a row without a
 * count, is left out.
 */
export function trailRowsFromAnswer(rows: ReadonlyArray<Readonly<Record<string, string | undefined>>>): TrailCallRow[] {
  const out: TrailCallRow[] = [];
  for (const r of rows) {
    const assumed = /:assumed-role\/([^/]+)\/(.+)$/.exec(r.arn ?? '');
    const count = Number(r.calls);
    const first = Number(r.first) * 1000;
    const last = Number(r.last) * 1000;
    if (!assumed || !r.source || !r.name || !Number.isInteger(count) || count <= 0 || !Number.isFinite(first) || !Number.isFinite(last))
      continue;
    const messages = (r.messages ?? '').split('\n').filter(Boolean);
    out.push({
      sessionName: assumed[2],
      roleName: assumed[1],
      principalArn: r.arn,
      eventSource: r.source,
      eventName: r.name,
      ...(r.error ? { errorCode: r.error } : {}),
      count,
      first: Math.round(first),
      last: Math.round(last),
      eventIds: (r.ids ?? '').split(',').filter(Boolean).slice(0, TRAIL_ROW_IDS),
      ...(messages.length ? { errorMessages: messages.slice(0, TRAIL_ROW_MESSAGES) } : {}),
    });
  }
  return out;
}

/** What an engine scanned (and billed), for coverage: `3.0 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]}`;
}
