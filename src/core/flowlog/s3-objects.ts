// Flow logs delivered to S3: AWS's key layout (which prefixes to list, which objects belong to a flow log and a time) and the header line of a plain-text object.

/** A flow log's S3 destination, `arn:aws:s3:::bucket[/prefix]`: the prefix is empty or ends with `/`. */
export interface S3Destination {
  bucket: string;
  prefix: string;
}

export interface S3KeyLayout {
  /** `aws-account-id=…/aws-service=…/aws-region=…/year=…` instead of bare values. */
  hiveCompatiblePartitions?: boolean;
  /** An `HH/` level below the day: listed through the day prefix all the same. */
  perHourPartition?: boolean;
}

/** One object of a flow log, as its key names it. */
export interface S3FlowLogObjectKey {
  accountId: string;
  region: string;
  flowLogId: string;
  /** The start of the delivery interval the object was written in (epoch ms). */
  time: number;
  fileFormat: 'plain-text' | 'parquet';
}

/**
 * How far outside the scan's range an object's time may lie and still hold records of the range: flow logs deliver
 * a record after its aggregation interval (up to 10 minutes) plus a delivery delay of a few minutes, and an object's
 * time is its delivery interval's start. Records outside the range are dropped by the parser.
 */
export const S3_DELIVERY_LAG_MS = 20 * 60_000;

const DAY_MS = 86_400_000;

export function s3Destination(arn: string | undefined): S3Destination | undefined {
  const m = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(arn ?? '');
  if (!m) return undefined;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

/** The day prefixes (UTC) whose objects may hold records of [start, end), oldest first, delivery lag included. */
export function s3DayPrefixes(
  destination: S3Destination,
  accountId: string,
  region: string,
  range: { start: number; end: number },
  layout: S3KeyLayout = {},
): string[] {
  const hive = !!layout.hiveCompatiblePartitions;
  const part = (name: string, value: string) => (hive ? `${name}=${value}` : value);
  const base = `${destination.prefix}AWSLogs/${part('aws-account-id', accountId)}/${part('aws-service', 'vpcflowlogs')}/${part('aws-region', region)}/`;
  const out: string[] = [];
  const first = Math.floor((range.start - S3_DELIVERY_LAG_MS) / DAY_MS) * DAY_MS;
  for (let day = first; day < range.end + S3_DELIVERY_LAG_MS; day += DAY_MS) {
    const d = new Date(day);
    const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
    const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
    const dd = String(d.getUTCDate()).padStart(2, '0');
    out.push(`${base}${part('year', yyyy)}/${part('month', mm)}/${part('day', dd)}/`);
  }
  return out;
}

const OBJECT_NAME =
  /(?:^|\/)(\d{12})_vpcflowlogs_([a-z0-9-]+)_(fl-[0-9a-z]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[0-9a-z]+\.(log\.gz|parquet)$/;

/** What an object key names, or undefined for a key that is not a flow-log object (a digest, a test file). */
export function parseS3FlowLogKey(key: string): S3FlowLogObjectKey | undefined {
  const m = OBJECT_NAME.exec(key);
  if (!m) return undefined;
  const [, accountId, region, flowLogId, y, mo, d, h, mi, ext] = m;
  const time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  if (!Number.isFinite(time)) return undefined;
  return { accountId, region, flowLogId, time, fileFormat: ext === 'parquet' ? 'parquet' : 'plain-text' };
}

/** Whether an object delivered at `time` may hold records of [start, end). */
export function s3ObjectInRange(time: number, range: { start: number; end: number }): boolean {
  return time >= range.start - S3_DELIVERY_LAG_MS && time < range.end + S3_DELIVERY_LAG_MS;
}

/** `version account-id interface-id …` (a plain-text header) or Parquet column names (`account_id`) as a LogFormat. */
export function headerToLogFormat(fields: readonly string[]): string {
  return fields.map((f) => `\${${f.replace(/_/g, '-')}}`).join(' ');
}

/** A first line that names fields rather than holding values: lower-case names, none of them a number. */
export function isHeaderLine(line: string): boolean {
  const fields = line.trim().split(/\s+/);
  return fields.length > 1 && fields.every((f) => /^[a-z][a-z0-9_-]*$/.test(f));
}

const NEWLINE = 10;
/** A header longer than this is not a header: the object is read as records from its first byte. */
const MAX_HEADER_BYTES = 4096;

/**
 * Takes the header line off a plain-text object's decompressed chunks: the LogFormat it names (undefined when the
 * object starts with a record) and the chunks that follow it. A read that fails before the header's end (a corrupt
 * object) fails when the rest is read, where the reader of the records says so.
 */
export async function takeHeaderLine(chunks: AsyncIterable<Uint8Array>): Promise<{ logFormat?: string; rest: AsyncIterable<Uint8Array> }> {
  const it = chunks[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let length = 0;
  let newline = -1;
  let done = false;
  let failure: { error: unknown } | undefined;
  try {
    while (newline < 0 && length < MAX_HEADER_BYTES) {
      const next = await it.next();
      if (next.done) {
        done = true;
        break;
      }
      // Copied: a source may reuse a chunk once the next is asked for.
      const chunk = Uint8Array.from(next.value);
      const at = chunk.indexOf(NEWLINE);
      if (at >= 0) newline = length + at;
      head.push(chunk);
      length += chunk.length;
    }
  } catch (error) {
    failure = { error };
    done = true;
  }
  const buffered = concat(head, length);
  // A first line cut short by a failed read is no header: the object is read as records, and says where it stopped.
  const lineEnd = newline >= 0 ? newline : done && !failure ? length : -1;
  const line = lineEnd >= 0 ? new TextDecoder('latin1').decode(buffered.subarray(0, lineEnd)) : '';
  const header = lineEnd >= 0 && isHeaderLine(line);
  const first = header ? buffered.subarray(Math.min(length, lineEnd + 1)) : buffered;
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      if (first.length) yield first;
      if (failure) throw failure.error;
      if (done) return;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    } finally {
      await it.return?.();
    }
  }
  return { ...(header ? { logFormat: headerToLogFormat(line.trim().split(/\s+/)) } : {}), rest: rest() };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
