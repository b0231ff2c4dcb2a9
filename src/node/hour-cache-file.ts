// The cache of closed hours on disk: one gzip'd JSON file per account and region in a directory, merged, bounded and written atomically.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { cacheSummary, isHourCacheData, mergeCacheData, pruneCacheData } from '../core/cache/data';
import type { CacheAccount, HourCacheData, HourCacheStore, LoadedCache } from '../core/cache/port';
import { errorMessage } from '../core/errors';
import { withFileLock, writeFileAtomic } from './atomic-file';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** The format this build reads and writes (HourCacheData.version). */
const FORMAT_VERSION = 1;
const FILE_PREFIX = 'hours-';
const FILE_SUFFIX = '.json.gz';

/**
 * The user's cache directory for this tool: `$XDG_CACHE_HOME/lambda-behavior`, else `~/.cache/lambda-behavior`. The
 * CLI keeps AWS's ip-ranges document there too.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  // XDG: a relative XDG_CACHE_HOME is invalid and to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'lambda-behavior');
}

/** One account's cache file as `list()` sees it. */
export interface CachedAccountSummary {
  accountId: string;
  region: string;
  file: string;
  /** The file's size on disk (gzip'd). */
  bytes: number;
  /** Hours held, summed over every section and key (0 for a file that cannot be read). */
  hours: number;
  oldest?: number;
  newest?: number;
}

/**
 * `hours-<account>-<region>.json.gz`. Both parts are percent-encoded, `-` included in the account, so that any account
 * id and region make a safe file name and the name reads back into the two.
 */
function fileName(account: CacheAccount): string {
  const encode = (s: string, dash: boolean) =>
    encodeURIComponent(s).replace(dash ? /[-.!'()*~]/g : /[.!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${FILE_PREFIX}${encode(account.accountId, true)}-${encode(account.region, false)}${FILE_SUFFIX}`;
}

function accountOfFile(name: string): CacheAccount | undefined {
  const m = /^hours-([^-]+)-(.+)\.json\.gz$/.exec(name);
  if (!m) return undefined;
  try {
    return { accountId: decodeURIComponent(m[1]), region: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}

/** What a file held: the data, or why it cannot be used. */
type FileRead = { data: HourCacheData } | { problem: string } | { missing: true };

export class FileHourCacheStore implements HourCacheStore {
  readonly location: string;
  private readonly warn: (message: string) => void;
  /** Saves of one file in this process run one after another (the lock orders them between processes). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(dir: string, options: { warn?: (message: string) => void } = {}) {
    this.location = dir;
    this.warn = options.warn ?? (() => undefined);
  }

  /** The file of one account and region. */
  file(account: CacheAccount): string {
    return path.join(this.location, fileName(account));
  }

  /**
   * The account's cache. No file: nothing cached yet. A file that cannot be used (cut short, not gzip or JSON, another
   * format version, another account's) is ignored with a warning naming it: the scan fetches from AWS and its save
   * replaces the file. It is not moved aside: nothing in it is worth keeping, and the next save rewrites it.
   */
  async load(account: CacheAccount): Promise<LoadedCache> {
    const file = this.file(account);
    await this.queues.get(file);
    const read = await readCacheFile(file, account);
    if ('data' in read) return { data: read.data };
    if ('missing' in read) return {};
    return { warning: `the cache file ${file} ${read.problem}: ignored, rebuilt from AWS` };
  }

  /**
   * Merges `data` with what the file holds now (another process may have saved since this one loaded: both keep
   * their hours; on a clash `data`, the newer fetch, wins), drops the hours past the bound, and writes the result
   * atomically, holding the file's lock from the read to the rename. Never rejects: a failure is warned and costs
   * only a fetch next time.
   */
  save(account: CacheAccount, data: HourCacheData): Promise<void> {
    const file = this.file(account);
    const run = (this.queues.get(file) ?? Promise.resolve()).then(() =>
      withFileLock(file, async () => {
        const read = await readCacheFile(file, account);
        const merged = 'data' in read ? mergeCacheData(read.data, data) : data;
        const bounded = pruneCacheData(merged, Date.now());
        await writeFileAtomic(file, await gzip(JSON.stringify(bounded)));
      }).catch((err: unknown) => this.warn(`could not save the cache of closed hours to ${file}: ${errorMessage(err)}`)),
    );
    this.queues.set(file, run);
    void run.then(() => {
      if (this.queues.get(file) === run) this.queues.delete(file);
    });
    return run;
  }

  /** Every account cached in the directory, by account then region; a file that cannot be read is listed with 0 hours. */
  async list(): Promise<CachedAccountSummary[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.location);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const found: CachedAccountSummary[] = [];
    for (const name of names) {
      const account = accountOfFile(name);
      if (!account) continue;
      const file = path.join(this.location, name);
      let bytes: number;
      try {
        bytes = (await fs.stat(file)).size;
      } catch {
        continue; // cleared meanwhile
      }
      const read = await readCacheFile(file, account);
      const summary = 'data' in read ? cacheSummary(read.data) : undefined;
      found.push({
        ...account,
        file,
        bytes,
        hours: summary?.hours ?? 0,
        ...(summary?.oldest !== undefined ? { oldest: summary.oldest } : {}),
        ...(summary?.newest !== undefined ? { newest: summary.newest } : {}),
      });
    }
    return found.sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region));
  }

  /** Removes one account's file, or every cache file in the directory (nothing else there: the ip-ranges copy stays). */
  async clear(account?: CacheAccount): Promise<void> {
    const files = account ? [this.file(account)] : (await this.list()).map((s) => s.file);
    for (const file of files) {
      await this.queues.get(file);
      await fs.rm(file, { force: true });
    }
  }
}

/** Reads and checks one cache file: gunzip, JSON, the format version, the shape, and that it is this account's. */
async function readCacheFile(file: string, account: CacheAccount): Promise<FileRead> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { problem: `cannot be read (${errorMessage(err)})` };
  }
  let value: unknown;
  try {
    value = JSON.parse((await gunzip(bytes)).toString('utf8'));
  } catch (err) {
    return { problem: `is unreadable (${errorMessage(err)})` };
  }
  const version = (value as { version?: unknown } | null)?.version;
  if (version !== FORMAT_VERSION)
    return { problem: `is of another format (version ${JSON.stringify(version) ?? 'none'}, this build reads ${FORMAT_VERSION})` };
  if (!isHourCacheData(value)) return { problem: 'is unreadable (not a cache of closed hours)' };
  if (value.accountId !== account.accountId || value.region !== account.region)
    return { problem: `holds another account's hours (${value.accountId} ${value.region})` };
  return { data: value };
}
