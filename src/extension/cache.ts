// The extension's one home for the cache of closed hours: the store in the global storage, live sources through it, its state for the tree, and "Clear Cache".
import * as vscode from 'vscode';
import { withHourCache } from '../core/cache/cached-source';
import type { CacheAccount, HourCacheData, HourCacheStore, LoadedCache } from '../core/cache/port';
import { errorMessage } from '../core/errors';
import { FileHourCacheStore, type CachedAccountSummary } from '../node/hour-cache-file';
import { formatBytes, plural } from '../report/format';
import type { ExtensionDeps } from './deps';
import { Disposable } from './disposable';
import type { OpenedSource } from './session';
import { readSettings } from './settings';
import type { TreeCacheState } from './tree/functions-tree';
import type { AccountCacheState } from './tree/nodes';

/** The cache's directory in the extension's global storage, beside the saved scan and the ip-ranges copy. */
export const HOUR_CACHE_DIR = 'hour-cache';

/**
 * The cache of live scans: one FileHourCacheStore (the CLI's format, so two windows share it safely), what it holds per
 * account as last listed, and a change event the tree listens to. Nothing is read at activation: the first listing runs
 * when the tree first shows a live account, and again after every save and clear.
 */
export class HourCache extends Disposable implements TreeCacheState {
  readonly store: FileHourCacheStore;
  private summaries: readonly CachedAccountSummary[] | undefined;
  /** Listings run one after another, so that the last one started is the last one kept. */
  private listing: Promise<void> = Promise.resolve();
  private listed = false;
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** Fires when what the cache holds may have changed (a scan saved, the user cleared it, the setting changed). */
  readonly onDidChange = this.changed.event;

  constructor(
    globalStorageUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.store = new FileHourCacheStore(vscode.Uri.joinPath(globalStorageUri, HOUR_CACHE_DIR).fsPath, {
      warn: (message) => log.warn(`[cache] ${message}`),
    });
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('lambdaBehavior.cache.enabled')) this.changed.fire();
      }),
    );
  }

  get location(): string {
    return this.store.location;
  }

  /**
   * A live source answered through the cache when `lambdaBehavior.cache.enabled` is on (the default), else as it is.
   * Its saves go through `noticingStore`, so that the tree's figures follow each one.
   */
  wrap(source: OpenedSource): OpenedSource {
    if (!readSettings().cacheEnabled) return source;
    return withHourCache(source, { store: this.noticingStore() });
  }

  stateOf(account: CacheAccount): AccountCacheState {
    if (!this.listed) void this.refresh();
    const found = this.summaries?.find((s) => s.accountId === account.accountId && s.region === account.region);
    return {
      enabled: readSettings().cacheEnabled,
      location: this.location,
      ...(found ? { summary: { hours: found.hours, bytes: found.bytes, oldest: found.oldest, newest: found.newest } } : {}),
    };
  }

  /** Every account the cache holds, as listed now. */
  async list(): Promise<readonly CachedAccountSummary[]> {
    await this.refresh();
    return this.summaries ?? [];
  }

  /** Lists the directory again and tells the tree. A listing that fails is logged and shows an empty cache. */
  refresh(): Promise<void> {
    this.listed = true;
    this.listing = this.listing.then(async () => {
      try {
        this.summaries = await this.store.list();
      } catch (err) {
        this.log.warn(`[cache] could not list ${this.location}: ${errorMessage(err)}`);
        this.summaries = [];
      }
      if (!this.isDisposed) this.changed.fire();
    });
    return this.listing;
  }

  /** Empties one account's cache, or every account's: their next scans read the whole window from AWS again. */
  async clear(account?: CacheAccount): Promise<void> {
    try {
      await this.store.clear(account);
      this.log.info(`[cache] cleared ${account ? `${account.accountId} ${account.region}` : 'every account'} in ${this.location}`);
    } finally {
      await this.refresh();
    }
  }

  /** The store, with each save followed by a fresh listing. */
  private noticingStore(): HourCacheStore {
    const { store } = this;
    return {
      location: store.location,
      load: (account: CacheAccount): Promise<LoadedCache> => store.load(account),
      save: async (account: CacheAccount, data: HourCacheData): Promise<void> => {
        try {
          await store.save(account, data);
        } finally {
          void this.refresh();
        }
      },
    };
  }
}

/** Set at registration: profile connections are built in several places (commands, a restored scan), all without the context. */
let current: HourCache | undefined;

/** The live source through the extension's cache (or as it is, with the cache off or before registration). */
export function throughHourCache(source: OpenedSource): OpenedSource {
  return current ? current.wrap(source) : source;
}

/** Creates the cache and registers "Clear Cache of Closed Hours". */
export function registerHourCache(context: vscode.ExtensionContext, deps: ExtensionDeps): HourCache {
  const cache = new HourCache(context.globalStorageUri, deps.log);
  current = cache;
  context.subscriptions.push(
    cache,
    { dispose: () => (current = current === cache ? undefined : current) },
    vscode.commands.registerCommand('lambdaBehavior.clearCache', (target?: unknown) => clearCacheCommand(cache, target)),
  );
  return cache;
}

/** What "Clear Cache" was asked to clear: one account (a tree node, `{ accountId, region }`), every one (`'all'`), or ask. */
function targetAccount(target: unknown): CacheAccount | 'all' | undefined {
  if (target === 'all') return 'all';
  if (!target || typeof target !== 'object') return undefined;
  const t = target as { report?: { accountId?: unknown; region?: unknown }; accountId?: unknown; region?: unknown };
  const { accountId, region } = t.report ?? t;
  return typeof accountId === 'string' && typeof region === 'string' ? { accountId, region } : undefined;
}

type ClearPick = vscode.QuickPickItem & { account?: CacheAccount };

/**
 * "Clear Cache of Closed Hours": the account of the tree node it was run on, else a pick of the cached accounts or all.
 * Resolves to the accounts cleared (empty when the user cancelled or nothing was cached).
 */
async function clearCacheCommand(cache: HourCache, target: unknown): Promise<CacheAccount[]> {
  const summaries = await cache.list();
  let chosen = targetAccount(target);
  if (!chosen) {
    if (summaries.length === 0) {
      void vscode.window.showInformationMessage(`Lambda Behavior: the cache of closed hours is empty (${cache.location}).`);
      return [];
    }
    const total = summaries.reduce((n, s) => n + s.bytes, 0);
    const items: ClearPick[] = [
      ...summaries.map((s) => ({
        label: `${s.accountId} · ${s.region}`,
        description: `${plural(s.hours, 'hour')} · ${formatBytes(s.bytes)}`,
        account: { accountId: s.accountId, region: s.region },
      })),
      { label: 'All accounts', description: `${plural(summaries.length, 'account')} · ${formatBytes(total)}` },
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Lambda Behavior: clear the cache of closed hours',
      placeHolder: 'The next scan of a cleared account reads its whole window from AWS again',
    });
    if (!picked) return [];
    chosen = picked.account ?? 'all';
  }
  const cleared = chosen === 'all' ? summaries.map((s) => ({ accountId: s.accountId, region: s.region })) : [chosen];
  try {
    await cache.clear(chosen === 'all' ? undefined : chosen);
  } catch (err) {
    void vscode.window.showErrorMessage(`Lambda Behavior: could not clear the cache in ${cache.location}: ${errorMessage(err)}`);
    return [];
  }
  return cleared;
}
