// Files other processes read and write too: replaced whole (a temp file renamed into place), and a lock beside a file for a read-merge-write.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Writes `data` (or its pieces, one after another) to a temp file beside `file` and renames it over `file`: a reader
 * (another window, another CLI) sees the old file or the new one, never half of one, and a crash mid-write leaves the old
 * one. The temp name holds the pid, so two processes writing at once each rename a whole file of their own. A failed
 * write removes its temp file.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array | readonly Uint8Array[],
  temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`,
): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(temp, data);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export interface FileLockOptions {
  /** A lock older than this is left over by a process that hung: it is broken. Default 60 s. */
  staleMs?: number;
  /** How long to wait for another process's lock before giving up. Default 30 s. */
  waitMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` holding `<file>.lock`, a file created exclusively (O_EXCL), so that a read-merge-write of `file` by two
 * processes happens one after the other and neither loses what the other wrote. The lock holds the holder's host, pid
 * and a nonce: a lock whose process is gone (same host) or that is older than `staleMs` is broken. Rejects when the
 * lock stays held for `waitMs`.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 60_000;
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  const lock = `${file}.lock`;
  const mine = `${os.hostname()} ${process.pid} ${randomUUID()}`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, mine, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readLock(lock);
    if (held !== undefined && isStale(held, staleMs)) {
      await breakLock(lock, held.text);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} is held by another process (${held?.text ?? 'unknown'})`);
    // A little jitter, so that two waiters do not retry in step.
    await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 4)) + Math.random() * 20);
  }
  try {
    return await fn();
  } finally {
    // Only our own lock: one broken as stale meanwhile and taken by another process stays theirs.
    const held = await readLock(lock);
    if (held?.text === mine) await fs.rm(lock, { force: true });
  }
}

interface HeldLock {
  text: string;
  mtimeMs: number;
}

async function readLock(lock: string): Promise<HeldLock | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lock, 'utf8'), fs.stat(lock)]);
    return { text, mtimeMs: stat.mtimeMs };
  } catch {
    // Released between our attempt and this read: the next attempt takes it.
    return undefined;
  }
}

function isStale(held: HeldLock, staleMs: number): boolean {
  if (Date.now() - held.mtimeMs > staleMs) return true;
  const [host, pid] = held.text.split(' ');
  // Created but not yet written (a moment), or another host's: only age says it is stale.
  if (host !== os.hostname() || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    // EPERM: the process exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Breaks a stale lock: renamed aside (one of two breakers wins the rename), then checked to be the stale one read; a
 * lock another process took in between is put back (a hard link, which never replaces a lock taken since).
 */
async function breakLock(lock: string, staleText: string): Promise<void> {
  const aside = `${lock}.${process.pid}.${randomUUID().slice(0, 8)}.stale`;
  try {
    await fs.rename(lock, aside);
  } catch {
    return;
  }
  const taken = await fs.readFile(aside, 'utf8').catch(() => undefined);
  if (taken !== staleText) await fs.link(aside, lock).catch(() => undefined);
  await fs.rm(aside, { force: true });
}
