// AWS's published ip-ranges document for the live backend: downloaded (or read from a file), checked, and cached for a day.
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/errors';
import type { IpRangesDocument } from '../core/ports';

export const AWS_IP_RANGES_URL = 'https://ip-ranges.amazonaws.com/ip-ranges.json';
/** AWS changes its ranges several times a week, and says so in `syncToken`: a day-old copy misses little. */
export const IP_RANGES_MAX_AGE_MS = 24 * 3_600_000;
/** How long the server may stay silent (connecting, before the answer, or in the middle of it). */
export const IP_RANGES_TIMEOUT_MS = 10_000;
/** AWS's document is about 2 MB: anything past this is not it. */
export const MAX_IP_RANGES_BYTES = 64 * 1024 * 1024;
const MAX_REDIRECTS = 5;
/** A cache file's time a little ahead of the clock is rounding; far ahead, a clock set back: then it is downloaded again. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** The cache file of AWS's own URL; another URL gets a file of its own, so a test server never stands in for AWS. */
const DEFAULT_CACHE_FILE = 'ip-ranges.json';

/** The document as AWS publishes it: the part the engine reads, with its version stamp. */
export interface AwsIpRangesFile extends IpRangesDocument {
  syncToken: string;
  createDate: string;
  ipv6_prefixes: Array<{ ipv6_prefix: string; region: string; service: string }>;
}

export interface IpRangesOptions {
  /** A file (absolute, or relative to the working directory), a `file:` URL or an http(s) URL; default AWS's published URL. */
  location?: string;
  /** Where a downloaded document is kept between scans (made when missing); without one it is downloaded every time. */
  cacheDir?: string;
  /** "Now" for the cached copy's age (default `Date.now`). */
  clock?: () => number;
  timeoutMs?: number;
}

export interface IpRangesResult {
  /** Undefined when no document could be had: `notices` says why. */
  document?: AwsIpRangesFile;
  /** Where the document was read: the URL, the file, or the cache file. */
  from?: string;
  /** What the user should know: a stale copy used, a copy that could not be kept, no document at all. */
  notices: string[];
}

/** A document that is not AWS's ip-ranges document, or could not be had: the message names where it came from. */
export class IpRangesError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IpRangesError';
  }
}

/**
 * Gets the document: a file is read as it is; a URL is answered from the cache while the cached copy is less than a
 * day old (by when it was downloaded, not by its `createDate`), else downloaded again. A failed download falls back
 * on the cached copy, whatever its age, and says so. Rejects only when `signal` is aborted.
 */
export async function loadIpRanges(options: IpRangesOptions, signal: AbortSignal): Promise<IpRangesResult> {
  const location = options.location?.trim() || AWS_IP_RANGES_URL;
  const file = localFile(location);
  if (file !== undefined) {
    try {
      return { document: parseIpRanges(await fs.readFile(file, { encoding: 'utf8', signal }), file), from: file, notices: [] };
    } catch (err) {
      signal.throwIfAborted();
      return noDocument(err instanceof IpRangesError ? err.message : `${file}: ${errorMessage(err)}`);
    }
  }

  const now = (options.clock ?? Date.now)();
  const cacheFile = options.cacheDir ? path.join(options.cacheDir, cacheFileName(location)) : undefined;
  const cached = cacheFile ? await readCached(cacheFile, signal) : undefined;
  const age = cached ? now - cached.fetchedAt : Infinity;
  if (cached?.document && age > -CLOCK_SKEW_MS && age < IP_RANGES_MAX_AGE_MS) {
    return { document: cached.document, from: cacheFile, notices: [] };
  }
  let document: AwsIpRangesFile;
  let text: string;
  try {
    text = await download(location, options.timeoutMs ?? IP_RANGES_TIMEOUT_MS, signal);
    document = parseIpRanges(text, location);
  } catch (err) {
    signal.throwIfAborted();
    const reason = err instanceof IpRangesError ? err.message : `${location}: ${errorMessage(err)}`;
    if (cached?.document) {
      return {
        document: cached.document,
        from: cacheFile,
        notices: [
          `ip-ranges: could not refresh (${reason}); using the copy downloaded ${new Date(cached.fetchedAt).toISOString()} (${cacheFile})`,
        ],
      };
    }
    return noDocument(cached?.problem ? `${reason}; the cached copy ${cached.problem}` : reason);
  }
  const notices: string[] = [];
  if (cacheFile) {
    try {
      await writeAtomic(cacheFile, text);
    } catch (err) {
      // The scan has its document; the next one downloads it again.
      notices.push(`ip-ranges: could not keep a copy in ${cacheFile}: ${errorMessage(err)}`);
    }
  }
  return { document, from: location, notices };
}

/** The words for "no document": the report's warnings carry them, so the user knows why S3 reads as `external`. */
export function noIpRangesNotice(reason: string): string {
  return `no ip-ranges document: ${reason}; AWS service addresses cannot be told from external ones`;
}

function noDocument(reason: string): IpRangesResult {
  return { notices: [noIpRangesNotice(reason)] };
}

/** Checks the document's shape; the error names `origin` (a URL or a file) and the first thing wrong. */
export function parseIpRanges(text: string, origin: string): AwsIpRangesFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IpRangesError(`${origin}: not AWS's ip-ranges document (not JSON: ${errorMessage(err)})`, { cause: err });
  }
  const wrong = (what: string) => new IpRangesError(`${origin}: not AWS's ip-ranges document (${what})`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw wrong('not a JSON object');
  const doc = value as Record<string, unknown>;
  for (const key of ['syncToken', 'createDate'] as const) {
    if (typeof doc[key] !== 'string') throw wrong(`"${key}" must be a string`);
  }
  if (!Array.isArray(doc.prefixes)) throw wrong('"prefixes" must be an array');
  if (doc.ipv6_prefixes !== undefined && !Array.isArray(doc.ipv6_prefixes)) throw wrong('"ipv6_prefixes" must be an array');
  const prefixes = entries(doc.prefixes, 'prefixes', 'ip_prefix', wrong);
  const ipv6 = entries((doc.ipv6_prefixes as unknown[] | undefined) ?? [], 'ipv6_prefixes', 'ipv6_prefix', wrong);
  return {
    syncToken: doc.syncToken as string,
    createDate: doc.createDate as string,
    prefixes: prefixes.map((p) => ({ ip_prefix: p.prefix, region: p.region, service: p.service })),
    ipv6_prefixes: ipv6.map((p) => ({ ipv6_prefix: p.prefix, region: p.region, service: p.service })),
  };
}

function entries(
  list: unknown[],
  name: string,
  prefixKey: string,
  wrong: (what: string) => Error,
): Array<{ prefix: string; region: string; service: string }> {
  return list.map((entry, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    for (const key of [prefixKey, 'region', 'service']) {
      if (typeof e[key] !== 'string') throw wrong(`${name}[${i}].${key} must be a string`);
    }
    return { prefix: e[prefixKey] as string, region: e.region as string, service: e.service as string };
  });
}

/** The file a location names, or undefined for an http(s) URL. */
function localFile(location: string): string | undefined {
  if (/^https?:\/\//i.test(location)) return undefined;
  return /^file:/i.test(location) ? fileURLToPath(location) : location;
}

function cacheFileName(url: string): string {
  if (url === AWS_IP_RANGES_URL) return DEFAULT_CACHE_FILE;
  return `ip-ranges-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.json`;
}

interface Cached {
  document?: AwsIpRangesFile;
  /** When it was downloaded: the cache file's modification time (written once, renamed into place). */
  fetchedAt: number;
  /** Why a cache file that exists could not be used. */
  problem?: string;
}

async function readCached(file: string, signal: AbortSignal): Promise<Cached | undefined> {
  let fetchedAt: number;
  try {
    fetchedAt = (await fs.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    return { document: parseIpRanges(await fs.readFile(file, { encoding: 'utf8', signal }), file), fetchedAt };
  } catch (err) {
    signal.throwIfAborted();
    return { fetchedAt, problem: `is unusable (${errorMessage(err)})` };
  }
}

/** Written beside the cache file and renamed into place: a scan that reads it meanwhile sees the old copy or the new, never half. */
async function writeAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * GET with Node's own http(s) (the extension host's proxy support applies to it), following a few redirects.
 * The timeout is on silence, so a slow but steady download of the whole document is not cut off.
 */
function download(url: string, timeoutMs: number, signal: AbortSignal, redirects = 0): Promise<string> {
  signal.throwIfAborted();
  return new Promise<string>((resolve, reject) => {
    const target = new URL(url);
    const get = target.protocol === 'https:' ? https.get : http.get;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settle();
      req.destroy();
      reject(err);
    };
    const onAbort = () => fail(signal.reason);
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    };
    const req = get(target, { headers: { accept: 'application/json', 'user-agent': 'lambda-behavior' } }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        if (settled) return;
        settle();
        if (redirects >= MAX_REDIRECTS) reject(new Error(`more than ${MAX_REDIRECTS} redirects`));
        else resolve(download(new URL(location, target).href, timeoutMs, signal, redirects + 1));
        return;
      }
      if (status !== 200) {
        res.resume();
        fail(new Error(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        arm();
        size += chunk.length;
        if (size > MAX_IP_RANGES_BYTES) fail(new Error(`larger than ${MAX_IP_RANGES_BYTES / 1024 / 1024} MiB`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settle();
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('the connection closed before the document was complete'));
      });
    });
    req.on('error', fail);
    signal.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}
