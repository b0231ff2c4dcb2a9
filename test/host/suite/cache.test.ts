// The cache of closed hours in a real extension host: two background rescans of a live account against moto_server, the second fetching only the trailing hours, the cost line and the cache's state in the panel, and "Clear Cache".
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ScanReads, ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { demoConnection } from '../../../src/extension/session';
import type { CacheNode, ConnectionNode, FunctionsTreeNode } from '../../../src/extension/tree/nodes';
import { buildMotoAccount } from '../../support/moto-account';
import { motoSkipReason, startMoto, type MotoServer } from '../../support/moto';
import { withMotoProfile } from '../live-profile';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
/** The connection the live test opens (its ENI history is saved under this key). */
const MOTO_SPEC = { kind: 'profile', profile: 'moto', region: 'us-east-1' };
/** An hour that closed between the two scans is one more per key to fetch: moto's account has a few dozen keys. */
const FETCHED_AGAIN_SLACK = 100;

describe('Lambda Behavior cache of closed hours', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-cache-'));
  const config = vscode.workspace.getConfiguration('lambdaBehavior');

  before(async () => {
    extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
  });

  // The suites after this one meet a first run: the demo open, nothing scanned or saved, no cache or ENI history of moto.
  after(async () => {
    api.session.connect(demoConnection(extension.extensionUri));
    await api.session.saved;
    await api.store.load(); // waits for pending saves
    fs.rmSync(api.store.file, { force: true });
    fs.rmSync(api.store.historyFile(JSON.stringify(MOTO_SPEC)), { force: true });
    await api.cache.clear();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('a second background rescan against moto_server fetches only the trailing hours; the panel shows the cost line and the cache; Clear Cache empties it', async function () {
    const skip = motoSkipReason();
    if (skip) this.skip();
    this.timeout(300_000);
    let moto: MotoServer | undefined;
    try {
      moto = await startMoto();
      await moto.reset();
      const account = await buildMotoAccount(moto.endpoint, 'us-east-1', { days: 4 });
      assert.equal(config.get('cache.enabled'), true, 'the cache is on by default');
      await withMotoProfile(moto.endpoint, scratch, extension.extensionPath, async () => {
        const scanned = { accountId: account.accountId, region: 'us-east-1' };
        // Whatever an earlier run left: the first scan meets an empty cache.
        await api.cache.clear(scanned);

        const first = await api.tracker.rescanNow();
        await api.cache.refresh();
        const held = api.cache.stateOf(scanned).summary?.hours ?? 0;
        const second = await api.tracker.rescanNow();
        assert.ok(first && second, 'both background rescans return a report');
        const one = cacheUse(first);
        const two = cacheUse(second);
        assert.equal(one.location, api.cache.location);
        // The figures, in the host console (test-results/host/extension-host-console.log).
        for (const [n, r] of [first, second].entries())
          console.log(`[cache test] scan ${n + 1}: ${JSON.stringify(r.reads)}; the cache held ${held} hours after the first`);
        assert.equal(one.hoursFromCache, 0, 'the first scan finds nothing cached');
        assert.ok(one.hoursFetched > 0 && held > 0, `it fetches every hour (${one.hoursFetched}) and keeps the closed ones (${held})`);
        // moto has no cloudtrail:LookupEvents: a read that failed keeps nothing, so CloudTrail's hours are asked for again
        // every scan, and they are most of the hours counted. What the answering sources returned for closed hours (the
        // flows and metrics) answers the second scan from the cache: it fetches their trailing hours only, which its
        // flow-log bytes show.
        assert.ok(two.hoursFromCache > 0, 'the cache answers the second scan');
        assert.ok(
          two.hoursFetched <= one.hoursFetched - two.hoursFromCache + FETCHED_AGAIN_SLACK,
          `the second fetches only what the cache lacks: ${two.hoursFetched} after ${one.hoursFetched}, ${two.hoursFromCache} from the cache`,
        );
        // By source: every ENI's flows and every function's metrics fetched only their trailing hours (the open hour and
        // the two closed ones re-read for late records): at most 3 of the window's hours per key.
        const windowHours = (Date.parse(second.window.detectEnd) - Date.parse(second.window.baselineStart)) / 3_600_000;
        for (const section of ['flows', 'metrics']) {
          const s = two.bySection?.[section];
          assert.ok(s && s.fromCache > 0, `${section}: answered from the cache (${JSON.stringify(two.bySection)})`);
          const keys = (s.fromCache + s.fetched) / windowHours;
          assert.ok(
            s.fetched <= keys * 3,
            `${section}: ${s.fetched} hours fetched for ${keys} key(s) over ${windowHours} hours: the trailing ones only`,
          );
        }
        const flowBytes = (reads: ScanReads) => reads.bytesDownloaded;
        assert.ok(
          flowBytes(second.reads!) * 10 <= flowBytes(first.reads!),
          `a tenth of the flow-log bytes at most: ${flowBytes(second.reads!)} after ${flowBytes(first.reads!)}`,
        );
        assert.ok(
          requests(second.reads!) <= requests(first.reads!),
          `no more requests: ${requests(second.reads!)} after ${requests(first.reads!)} (${JSON.stringify(second.reads!.requests)})`,
        );
        assert.deepEqual(findingIds(second), findingIds(first), 'the same findings');
        assert.ok(
          findingIds(second).some((id) => id.includes('new-peer')),
          "the account's new peer is found",
        );

        // The panel: the account's cost line and what its cache holds, where.
        const root = api.functionsTree.getChildren()[0] as ConnectionNode;
        const node = api.functionsTree.getChildren(root).find((n): n is CacheNode => n.kind === 'cache');
        assert.ok(node, 'a live account shows what its scan read');
        assert.equal(api.functionsTree.getParent(node)?.id, root.id, 'its parent is the account');
        await api.cache.refresh();
        const item = api.functionsTree.getTreeItem(node);
        assert.match(String(item.description), /^Read from AWS: /, 'the cost line follows the cache');
        const summary = api.cache.stateOf(scanned).summary;
        assert.ok(summary && summary.hours > 0 && summary.bytes > 0, 'the cache holds the account');
        assert.match(String(api.functionsTree.getTreeItem(cacheNodeOf()).label), /^Cache: [\d,]+ hours · /);
        const tooltip = tooltipOf(node);
        const answered = `the cache answered ${count(two.hoursFromCache)} of ${count(two.hoursFromCache + two.hoursFetched)} hours`;
        assert.ok(tooltip.includes(`Read from AWS: `) && tooltip.includes(answered), `the tooltip has the cost line: ${tooltip}`);
        assert.ok(tooltip.includes(api.cache.location), `the tooltip says where: ${tooltip}`);
        assert.match(tooltipOf(root), /Read from AWS: /, "the account's own tooltip says it too");

        // "Clear Cache" from the node's context menu: the account's cache goes, the panel says so, the next scan fetches all.
        const cleared = await vscode.commands.executeCommand<unknown[]>('lambdaBehavior.clearCache', node);
        assert.deepEqual(cleared, [scanned]);
        assert.equal(api.cache.stateOf(scanned).summary, undefined);
        assert.equal(api.functionsTree.getTreeItem(cacheNodeOf()).label, 'Cache: nothing held yet');
        assert.ok(!fs.existsSync(api.cache.store.file(scanned)), 'its file is gone');
        const third = await api.tracker.rescanNow();
        assert.ok(third);
        assert.equal(cacheUse(third).hoursFromCache, 0, 'after a clear, every hour is fetched again');
        assert.deepEqual(findingIds(third), findingIds(first));
      });
    } finally {
      await moto?.stop();
      // The next suite's moto account has the same id: no hours of this one may answer its scans.
      await api.cache.clear();
      await config.update('profile', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    }
  });

  it('a recorded account has no cache node: the demo reads no AWS', async () => {
    await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    assert.ok(await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll'));
    const root = api.functionsTree.getChildren()[0]!;
    const children = api.functionsTree.getChildren(root);
    assert.ok(children.length > 0);
    assert.ok(
      children.every((n) => n.kind === 'function'),
      'only functions under the demo',
    );
  });

  function cacheNodeOf(): CacheNode {
    const root = api.functionsTree.getChildren()[0]!;
    return api.functionsTree.getChildren(root).find((n): n is CacheNode => n.kind === 'cache')!;
  }

  function cacheUse(report: ScanReport): NonNullable<ScanReads['cache']> {
    assert.ok(report.reads?.cache, `the report says what the cache answered: ${JSON.stringify(report.reads)}`);
    return report.reads.cache;
  }

  function count(n: number): string {
    return n.toLocaleString('en-US');
  }

  function requests(reads: ScanReads): number {
    return Object.values(reads.requests).reduce((n, c) => n + c, 0);
  }

  function findingIds(report: ScanReport): string[] {
    return report.functions.flatMap((f) => f.findings.map((x) => `${f.name}/${x.id}`)).sort();
  }

  /** The tooltip's text, appendText's escapes undone. */
  function tooltipOf(node: FunctionsTreeNode): string {
    const { tooltip } = api.functionsTree.resolveTreeItem(api.functionsTree.getTreeItem(node), node);
    assert.ok(tooltip instanceof vscode.MarkdownString, 'a MarkdownString tooltip');
    assert.ok(!tooltip.isTrusted && !tooltip.supportHtml, 'untrusted, without HTML');
    return tooltip.value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
  }
});
