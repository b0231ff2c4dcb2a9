// The extension's everyday workflows in a real extension host: scan one function, accept a finding, refresh, export, open a recorded scenario, background rescans and their notifications, expired credentials, and a live profile against moto_server.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { buildMotoAccount } from '../../support/moto-account';
import { motoSkipReason, startMoto, type MotoServer } from '../../support/moto';
import { withEnv, withMotoProfile } from '../live-profile';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';

describe('Lambda Behavior workflows', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-workflows-'));
  const config = vscode.workspace.getConfiguration('lambdaBehavior');

  before(async () => {
    extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
    await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    const report = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.ok(report, 'the demo scans');
  });

  after(async () => {
    // The UI pass that follows in this code-server profile and workspace must meet a first run.
    await api.session.saved;
    await api.store.load();
    fs.rmSync(api.store.file, { force: true });
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) fs.rmSync(path.join(folder.uri.fsPath, '.lambda-behavior'), { recursive: true, force: true });
    fs.rmSync(path.join(extension.extensionPath, '.lambda-behavior-test-accept'), { recursive: true, force: true });
    await config.update('ignore.peers', undefined, vscode.ConfigurationTarget.Global);
    await config.update('profile', undefined, vscode.ConfigurationTarget.Global);
    await config.update('baselineDays', undefined, vscode.ConfigurationTarget.Global);
    await config.update('flowLogsQuery', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('"Scan function" rescans one function and keeps the others of the last scan', async () => {
    const before = api.session.report!;
    const scannedAt = api.session.scannedAt!;
    const report = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanFunction', 'OrderApi');
    assert.ok(report);
    assert.deepEqual(
      report.functions.map((f) => f.name).sort(),
      before.functions.map((f) => f.name).sort(),
      'all seven functions are still shown',
    );
    assert.equal(report.functions.find((f) => f.name === 'OrderApi')!.findings.length, 3);
    assert.ok(api.session.scannedAt! >= scannedAt);
    // From a tree node, as the context menu and the inline button pass it.
    const node = { fn: report.functions.find((f) => f.name === 'NightlyReport')! };
    const again = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanFunction', node);
    assert.equal(again?.functions.length, 7);
  });

  it('"Accept as normal" writes the accepted-behaviour file beside the code and the finding disappears; the next scan keeps it out', async () => {
    const fn = api.session.report!.functions.find((f) => f.name === 'PaymentsWebhook')!;
    const finding = fn.findings.find((f) => f.kind === 'new-peer')!;
    assert.ok(finding, 'PaymentsWebhook has its new external peer');
    const ok = await vscode.commands.executeCommand<boolean>('lambdaBehavior.accept', { fn, finding });
    assert.equal(ok, true);
    assert.equal(
      api.session.report!.functions.find((f) => f.name === 'PaymentsWebhook')!.findings.length,
      0,
      'gone from the report at once',
    );

    const folder = vscode.workspace.workspaceFolders?.[0];
    const file =
      folder && vscode.workspace.isTrusted
        ? path.join(folder.uri.fsPath, '.lambda-behavior', 'baseline.json')
        : path.join(path.dirname(api.store.file), 'accepted-behaviour.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(doc.formatVersion, 1);
    assert.deepEqual(
      doc.accepted.map((e: { function: string; kind: string; subject: string }) => [e.function, e.kind, e.subject]),
      [['PaymentsWebhook', 'new-peer', finding.subject]],
    );
    assert.match(doc.accepted[0].acceptedAt, /^20\d\d-/);

    const rescanned = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.equal(rescanned!.functions.find((f) => f.name === 'PaymentsWebhook')!.findings.length, 0, 'the scan reads the file');
    // Accepting again by (name, id) is a no-op on the file, not a duplicate entry.
    await vscode.commands.executeCommand('lambdaBehavior.accept', 'PaymentsWebhook', finding.id);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).accepted.length, 1);
  });

  it('never overwrites an accepted-behaviour file it cannot read', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || !vscode.workspace.isTrusted) return;
    const file = path.join(folder.uri.fsPath, '.lambda-behavior', 'baseline.json');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, '{"formatVersion": 1, "accepted": [{"function": 3}]}');
    try {
      const fn = api.session.report!.functions.find((f) => f.name === 'OrderApi')!;
      const ok = await vscode.commands.executeCommand<boolean>('lambdaBehavior.accept', 'OrderApi', fn.findings[0].id);
      assert.equal(ok, false);
      assert.equal(fs.readFileSync(file, 'utf8'), '{"formatVersion": 1, "accepted": [{"function": 3}]}', 'the file is as it was');
      assert.equal(api.session.report!.functions.find((f) => f.name === 'OrderApi')!.findings.length, 3, 'and the finding is still shown');
    } finally {
      fs.writeFileSync(file, good);
    }
  });

  it('"Refresh" applies the ignore settings to the last report without scanning', async () => {
    const rds = api.session.report!.functions.find((f) => f.name === 'RDSQueryLogger')!;
    const ssh = rds.findings.find((f) => f.kind === 'new-peer')!;
    const address = ssh.subject.split(':')[0];
    const scannedAt = api.session.scannedAt;
    await config.update('ignore.peers', [address], vscode.ConfigurationTarget.Global);
    try {
      assert.equal(await vscode.commands.executeCommand('lambdaBehavior.refresh'), true);
      const after = api.session.report!.functions.find((f) => f.name === 'RDSQueryLogger')!;
      assert.equal(after.findings.length, 0);
      assert.ok(!after.peers.some((p) => p.address === address));
      assert.equal(api.session.scannedAt, scannedAt, 'no scan ran');
      // A scan with the setting leaves it out too; a bad rule is named.
      assert.equal(
        (await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll'))!.functions.find((f) => f.name === 'RDSQueryLogger')!
          .findings.length,
        0,
      );
      await config.update('ignore.peers', ['not an address'], vscode.ConfigurationTarget.Global);
      assert.equal(await vscode.commands.executeCommand('lambdaBehavior.refresh'), false);
    } finally {
      await config.update('ignore.peers', undefined, vscode.ConfigurationTarget.Global);
    }
    const restored = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.equal(restored!.functions.find((f) => f.name === 'RDSQueryLogger')!.findings.length, 1);
  });

  it('"Export report" writes JSON (format v1), SARIF 2.1.0 and a self-contained HTML page', async () => {
    for (const format of ['json', 'sarif', 'html']) {
      const target = vscode.Uri.file(path.join(scratch, `report.${format}`));
      const written = await vscode.commands.executeCommand<vscode.Uri>('lambdaBehavior.exportReport', format, target);
      assert.equal(written?.fsPath, target.fsPath);
      const text = fs.readFileSync(target.fsPath, 'utf8');
      if (format === 'json') {
        const report = JSON.parse(text) as ScanReport;
        assert.equal(report.formatVersion, 1);
        assert.equal(report.functions.length, 7);
      } else if (format === 'sarif') {
        const sarif = JSON.parse(text);
        assert.equal(sarif.version, '2.1.0');
        assert.ok(sarif.runs[0].results.some((r: { message: { text: string } }) => r.message.text.includes('ListBuckets')));
      } else {
        assert.match(text, /^<!doctype html>/i);
        assert.match(text, /Content-Security-Policy/);
        assert.ok(text.includes('OrderApi'));
      }
    }
    // Redacted for sharing: no account id of the account, the same findings.
    const redactedTarget = vscode.Uri.file(path.join(scratch, 'redacted.json'));
    await vscode.commands.executeCommand('lambdaBehavior.exportReport', 'json', redactedTarget, { redact: true });
    const redactedText = fs.readFileSync(redactedTarget.fsPath, 'utf8');
    const shown = api.session.report!;
    assert.ok(!redactedText.includes(shown.accountId), 'the account id is gone');
    const redacted = JSON.parse(redactedText) as ScanReport;
    assert.equal(
      redacted.functions.flatMap((f) => f.findings).length,
      shown.functions.flatMap((f) => f.findings).length,
      'the same findings',
    );
    assert.deepEqual(
      fs.readdirSync(scratch).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left',
    );
  });

  it('opens a recorded scenario directory and scans it; a folder that is not one is refused', async () => {
    const dir = path.join(extension.extensionPath, 'test', 'fixtures', 'scenarios', 'mixed-v5');
    assert.equal(await vscode.commands.executeCommand('lambdaBehavior.openScenario', dir), 'scenario mixed-v5');
    assert.equal(api.session.report, undefined, 'opening does not scan');
    const report = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.ok(report && report.functions.length > 7, `the scenario's functions (${report?.functions.length})`);
    const [root] = api.functionsTree.getChildren();
    assert.equal(api.functionsTree.getTreeItem(root).label, 'scenario mixed-v5');
    assert.equal(await vscode.commands.executeCommand('lambdaBehavior.openScenario', scratch), undefined);
    assert.equal(api.session.connection?.label, 'scenario mixed-v5', 'the open account is unchanged');
    // The session saves on an event-loop turn of its own (the host thread is never held by a 5 MB write): wait for it.
    await api.session.saved;
    const saved = await api.store.load();
    assert.deepEqual(saved?.connection.spec, { kind: 'scenario', dir }, 'a saved scan remembers the directory to reopen');
  });

  it('a cancelled or failed scan leaves the last scan, on screen and on disk, as it was', async () => {
    // A scenario of our own (a copy of the demo), so that one of its files can break between two scans.
    const dir = path.join(scratch, 'breakable');
    fs.cpSync(path.join(extension.extensionPath, 'media', 'demo'), dir, { recursive: true });
    await vscode.commands.executeCommand('lambdaBehavior.openScenario', dir);
    assert.ok(await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll'));
    await api.session.saved;
    const shown = api.session.report;
    const scannedAt = api.session.scannedAt;
    const onDisk = fs.readFileSync(api.store.file, 'utf8');
    const unchanged = (why: string) => {
      assert.equal(api.session.report, shown, `${why}: the tree shows the last scan`);
      assert.equal(api.session.scannedAt, scannedAt, `${why}: with its time`);
      assert.equal(fs.readFileSync(api.store.file, 'utf8'), onDisk, `${why}: the saved scan is the last complete one`);
    };

    const running = vscode.commands.executeCommand<ScanReport | undefined>('lambdaBehavior.scanAll');
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.ok(api.scanner.busy, 'the scan is running');
    api.scanner.cancel();
    assert.equal(await running, undefined, 'a cancelled scan returns nothing');
    await api.session.saved;
    unchanged('cancelled');

    fs.writeFileSync(path.join(dir, 'cloudwatch', 'get-metric-data.json'), '{"MetricDataResults": [');
    assert.equal(await vscode.commands.executeCommand('lambdaBehavior.scanAll'), undefined, 'a scan of a broken file fails');
    await api.session.saved;
    unchanged('failed');
    assert.equal(api.scanner.busy, false);
  });

  it('a background rescan announces each new finding at or above the threshold once, and a scan the user ran announces nothing', async () => {
    const raised = () => api.tracker.raised.length;
    await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    const start = raised();
    // Everything the user's own scans showed is remembered: a background rescan finds nothing new to say.
    await api.tracker.rescanNow();
    assert.equal(raised(), start, 'nothing new in a background rescan of what the user saw');

    // Forget what was seen (a new window, a new day): the background rescan announces the demo's high findings once.
    await api.tracker.forgetSeen();
    await api.tracker.rescanNow();
    const announced = api.tracker.raised.slice(start);
    const highs = api.session.report!.functions.flatMap((f) =>
      f.findings.filter((x) => x.severity === 'high').map((x) => `${f.name}: ${x.title}`),
    );
    assert.ok(highs.length > 0);
    if (highs.length <= 3)
      assert.deepEqual(announced.map((t) => t.replace(/^Lambda Behavior: /, '').replace(/ \(high\)$/, '')).sort(), highs.sort());
    else assert.equal(announced.length, 1, 'one summary');
    await api.tracker.rescanNow();
    assert.equal(api.tracker.raised.length, start + announced.length, 'never the same finding twice');
  });

  it('an IAM Identity Center profile without a session shows the expired-credentials state, without prompting', async () => {
    const configFile = path.join(scratch, 'aws-config-sso');
    fs.writeFileSync(
      configFile,
      [
        '[profile sso-dev]',
        'region = eu-west-1',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = ReadOnly',
        '[sso-session corp]',
        'sso_start_url = https://example.awsapps.com/start',
        'sso_region = eu-west-1',
        '',
      ].join('\n'),
    );
    await withEnv(
      {
        AWS_CONFIG_FILE: configFile,
        AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'none'),
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_PROFILE: undefined,
      },
      async () => {
        assert.equal(
          await vscode.commands.executeCommand('lambdaBehavior.chooseProfile', 'sso-dev', 'eu-west-1'),
          'profile sso-dev · eu-west-1',
        );
        assert.equal(config.inspect('profile')?.globalValue, 'sso-dev', 'remembered in the user settings');
        const report = await vscode.commands.executeCommand('lambdaBehavior.scanAll');
        assert.equal(report, undefined);
        assert.match(api.session.credentialsProblem?.message ?? '', /aws sso login --profile sso-dev/);
        assert.match(api.statusBar.text, /^\$\(warning\) Lambda Behavior: profile sso-dev · eu-west-1/);
        assert.deepEqual(api.functionsTree.getChildren(), [], 'the welcome view explains it');
      },
    );
  });

  it('scans a live account through an AWS profile: the real SDK clients against moto_server', async function () {
    const skip = motoSkipReason();
    if (skip) this.skip();
    this.timeout(240_000);
    let moto: MotoServer | undefined;
    try {
      moto = await startMoto();
      await moto.reset();
      const account = await buildMotoAccount(moto.endpoint, 'us-east-1', { days: 4 });
      await withMotoProfile(moto.endpoint, scratch, extension.extensionPath, async () => {
        const report = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
        assert.ok(report, 'the live scan returns a report');
        assert.equal(report.accountId, account.accountId);
        assert.deepEqual(report.functions.map((f) => f.name).sort(), account.functions.map((f) => f.name).sort());
        assert.ok(
          report.functions.some((f) => f.findings.some((x) => x.kind === 'new-peer')),
          "the account's new peer is found",
        );
        assert.ok(
          !report.warnings.some((w) => w.includes('no ip-ranges document')),
          `the setting's ip-ranges document was read: ${report.warnings.join('; ')}`,
        );
        assert.equal(api.session.credentialsProblem, undefined);
        const [root] = api.functionsTree.getChildren();
        assert.match(String(api.functionsTree.getTreeItem(root).description), new RegExp(`^${account.accountId} · us-east-1`));
      });
    } finally {
      await moto?.stop();
      await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    }
  });
});
