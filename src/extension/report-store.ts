// The last scan and each account's ENI history kept across restarts: JSON files in the extension's global storage, written atomically.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { EniHistoryJson } from '../core/inventory/history';
import type { ScanReport } from '../core/model';
import { writeFileAtomic } from '../node/atomic-file';
import { savedScanBytes } from '../node/report-json';
import type { ConnectionSpec } from './session';

/** What is saved: the report and enough about the connection to reopen it. */
export interface SavedScan {
  /** `spec` reopens the account; a file from a version that saved none reopens only the demo. */
  connection: { kind: string; label: string; spec?: ConnectionSpec };
  /** When the scan ran (epoch ms): the status bar shows it. */
  scannedAt: number;
  report: ScanReport;
}

interface SavedFile extends SavedScan {
  version: 1;
}

export class ReportStore {
  readonly file: string;
  private queue: Promise<void> = Promise.resolve();
  private writes = 0;
  /** The number of the newest save() call: an older one still waiting in the queue is superseded and writes nothing. */
  private latestSave = 0;

  constructor(
    storageUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(storageUri.fsPath, 'last-scan.json');
  }

  /**
   * Writes a temp file then renames it over the old one: a crash mid-write leaves the previous scan, never half a file.
   * Saves run one after another, so the last call wins; a save that a newer one follows before its turn writes nothing.
   * The JSON is the function JSON a replay scan's worker sent, or is built and encoded a few functions per event-loop turn
   * (savedScanBytes): one JSON.stringify of a 1,000-function report would hold the extension host's thread for 50-100 ms.
   * Failures are logged, not thrown: losing the cache loses nothing else.
   */
  save(scan: SavedScan): Promise<void> {
    const body: SavedFile = { version: 1, ...scan };
    const mine = ++this.latestSave;
    // Settles once the file holds this scan or a newer one: a superseded save waits for the one that replaced it.
    return this.write(this.file, () => (mine === this.latestSave ? savedScanBytes(body) : undefined), 'the last scan').then(
      () => this.queue,
    );
  }

  /** The ENI history of one account (ENIs and addresses by time), so that an address reused later is attributed by time. */
  historyFile(accountKey: string): string {
    const digest = createHash('sha256').update(accountKey).digest('hex').slice(0, 16);
    return path.join(path.dirname(this.file), `eni-history-${digest}.json`);
  }

  /** Serialized in its turn of the write queue, on an event-loop turn of its own (a large account's is ~300 KB of JSON). */
  saveHistory(accountKey: string, history: EniHistoryJson): Promise<void> {
    return this.write(
      this.historyFile(accountKey),
      async () => {
        await nextTurn();
        return JSON.stringify({ version: 1, accountKey, history });
      },
      `the ENI history of ${accountKey}`,
    );
  }

  /** The saved history, or undefined; a file that does not read as one is moved aside like a corrupt scan. */
  async loadHistory(accountKey: string): Promise<EniHistoryJson | undefined> {
    await this.queue;
    const file = this.historyFile(accountKey);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`[store] could not read ${file}: ${errorMessage(err)}`);
      return undefined;
    }
    try {
      const v = JSON.parse(text) as { version?: number; accountKey?: string; history?: EniHistoryJson };
      if (v?.version !== 1 || v.accountKey !== accountKey || !v.history || typeof v.history !== 'object')
        throw new Error('not an ENI history (version 1)');
      return v.history;
    } catch (err) {
      await this.moveAside(file, err, text);
      return undefined;
    }
  }

  /**
   * Writes a temp file then renames it over the old one (writeFileAtomic). Writes run one after another, so the last
   * call wins (a text given as a function is built when its turn comes; undefined writes nothing); two windows writing at once each rename a whole file of their own (the temp name holds the pid), never a mix.
   */
  private write(file: string, text: string | (() => Promise<string | readonly Uint8Array[]> | undefined), what: string): Promise<void> {
    const temp = `${file}.${process.pid}.${++this.writes}.tmp`;
    this.queue = this.queue.then(async () => {
      try {
        // Built in its turn of the queue, so that a text built over several event-loop turns is still written in call order.
        const data = typeof text === 'string' ? text : await text();
        if (data !== undefined) await writeFileAtomic(file, data, temp);
      } catch (err) {
        this.log.warn(`[store] could not save ${what} to ${file}: ${errorMessage(err)}`);
      }
    });
    return this.queue;
  }

  /**
   * Moves the unreadable `text` at `file` aside. Another window may have saved a whole file there since it was read:
   * what the rename took is compared with what was read, and a different file is put back (a hard link, which never
   * replaces a file saved since) rather than kept aside as corrupt.
   */
  private async moveAside(file: string, err: unknown, text: string): Promise<void> {
    const aside = await freeName(`${file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`);
    try {
      await fs.rename(file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`[store] could not move ${file} aside: ${errorMessage(e)}`);
      return;
    }
    const taken = await fs.readFile(aside, 'utf8').catch(() => undefined);
    if (taken === text) {
      this.log.warn(`[store] ${path.basename(file)} is unreadable (${errorMessage(err)}); moved it to ${aside}`);
      return;
    }
    // Not the file that was read: another window's save. Back where it was, unless an even newer one is there.
    await fs.link(aside, file).catch(() => undefined);
    await fs.rm(aside, { force: true });
  }

  /** The saved scan, or undefined when there is none. A file that does not read as one is moved aside, with a warning. */
  async load(): Promise<SavedScan | undefined> {
    await this.queue;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`[store] could not read ${this.file}: ${errorMessage(err)}`);
      return undefined;
    }
    try {
      return parseSaved(JSON.parse(text));
    } catch (err) {
      await this.moveAside(this.file, err, text);
      return undefined;
    }
  }
}

/** Checks the shape the tree relies on; anything else is treated as corrupt. */
function parseSaved(value: unknown): SavedScan {
  const v = value as Partial<SavedFile> | null;
  if (!v || typeof v !== 'object' || v.version !== 1) throw new Error('not a saved scan (version 1)');
  const { connection, scannedAt, report } = v;
  if (!connection || typeof connection.kind !== 'string' || typeof connection.label !== 'string') throw new Error('no connection');
  if (typeof scannedAt !== 'number' || !Number.isFinite(scannedAt)) throw new Error('no scan time');
  if (!report || report.formatVersion !== 1 || !Array.isArray(report.functions)) throw new Error('no report (format 1)');
  for (const fn of report.functions) {
    const f = fn as Partial<typeof fn> | null;
    if (!f || typeof f.name !== 'string' || typeof f.arn !== 'string') throw new Error('a function without name or ARN');
    for (const list of ['findings', 'peers', 'apiCalls', 'enis'] as const) {
      if (!Array.isArray(f[list])) throw new Error(`${f.name}: no ${list} list`);
    }
  }
  const spec = parseSpec(connection.spec);
  return { connection: { kind: connection.kind, label: connection.label, ...(spec ? { spec } : {}) }, scannedAt, report };
}

function parseSpec(value: unknown): ConnectionSpec | undefined {
  const v = value as Record<string, unknown> | null | undefined;
  if (!v || typeof v !== 'object') return undefined;
  if (v.kind === 'demo') return { kind: 'demo' };
  if (v.kind === 'scenario' && typeof v.dir === 'string') return { kind: 'scenario', dir: v.dir };
  if (v.kind === 'profile' && typeof v.profile === 'string')
    return { kind: 'profile', profile: v.profile, ...(typeof v.region === 'string' ? { region: v.region } : {}) };
  return undefined;
}

/** `base`, or `base-2`, `base-3`, ... when taken: rename would replace an earlier corrupt file kept for inspection. */
async function freeName(base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
}
