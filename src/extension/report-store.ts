// The last scan kept across restarts: one JSON file in the extension's global storage, written atomically.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { ScanReport } from '../core/model';

/** What is saved: the report and enough about the connection to reopen it. */
export interface SavedScan {
  /** `demo` for the bundled demo account; other kinds are shown but not reopened until they exist. */
  connection: { kind: string; label: string };
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

  constructor(
    storageUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(storageUri.fsPath, 'last-scan.json');
  }

  /**
   * Writes a temp file then renames it over the old one: a crash mid-write leaves the previous scan, never half a file.
   * Saves run one after another, so the last call wins. Failures are logged, not thrown: losing the cache loses nothing else.
   */
  save(scan: SavedScan): Promise<void> {
    const body: SavedFile = { version: 1, ...scan };
    const text = JSON.stringify(body);
    const temp = `${this.file}.${process.pid}.${++this.writes}.tmp`;
    this.queue = this.queue.then(async () => {
      try {
        await fs.mkdir(path.dirname(this.file), { recursive: true });
        await fs.writeFile(temp, text, 'utf8');
        await fs.rename(temp, this.file);
      } catch (err) {
        this.log.warn(`[store] could not save the last scan to ${this.file}: ${message(err)}`);
        await fs.rm(temp, { force: true }).catch(() => undefined);
      }
    });
    return this.queue;
  }

  /** The saved scan, or undefined when there is none. A file that does not read as one is moved aside, with a warning. */
  async load(): Promise<SavedScan | undefined> {
    await this.queue;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`[store] could not read ${this.file}: ${message(err)}`);
      return undefined;
    }
    try {
      return parseSaved(JSON.parse(text));
    } catch (err) {
      const aside = await freeName(`${this.file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`);
      this.log.warn(`[store] the saved scan is unreadable (${message(err)}); moved it to ${aside}`);
      await fs.rename(this.file, aside).catch((e: unknown) => this.log.warn(`[store] could not move ${this.file} aside: ${message(e)}`));
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
  return { connection: { kind: connection.kind, label: connection.label }, scannedAt, report };
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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
