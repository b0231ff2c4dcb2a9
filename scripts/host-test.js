#!/usr/bin/env node
// `npm run test:host`: the extension's mocha suites inside a real VS Code extension host (code-server in headless Chromium), then one look at the panel.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');

const root = path.resolve(__dirname, '..');
const hostDir = path.join(root, 'test', 'host');
const codeServer = path.join(hostDir, 'node_modules', '.bin', 'code-server');
const suiteIndex = path.join(root, 'out', 'test', 'host', 'suite', 'index.js');
const resultsDir = path.join(root, 'test-results', 'host');
const screenshot = path.join(resultsDir, 'lambda-behavior-view.png');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TIMEOUT_MS = Number(process.env.LAMBDA_BEHAVIOR_HOST_TIMEOUT_MS) || 5 * 60_000;
const keepRunDir = process.env.LAMBDA_BEHAVIOR_KEEP_HOST_RUN === '1';

const started = Date.now();
const timings = [];
let stageStart = started;
function stage(name) {
  const now = Date.now();
  timings.push(`${name} ${((now - stageStart) / 1000).toFixed(1)} s`);
  stageStart = now;
}

/** Everything that must be ended, whatever way the run ends. */
const state = { server: undefined, context: undefined, runDir: undefined, timedOut: false };

async function cleanup() {
  if (state.context) await state.context.close().catch(() => undefined);
  state.context = undefined;
  if (state.server) await stopProcessGroup(state.server);
  state.server = undefined;
  const serverLog = state.runDir && path.join(state.runDir, 'code-server.log');
  if (serverLog && fs.existsSync(serverLog)) {
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.copyFileSync(serverLog, path.join(resultsDir, 'code-server.log'));
  }
  if (state.runDir && !keepRunDir) fs.rmSync(state.runDir, { recursive: true, force: true });
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function healthy(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** code-server runs in its own process group (detached): end the group by its id, politely first. */
async function stopProcessGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group is already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function startCodeServer(runDir, port, resultsFile) {
  const userData = path.join(runDir, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false }, null, 2),
  );
  fs.writeFileSync(path.join(runDir, 'config.yaml'), '');
  const log = fs.openSync(path.join(runDir, 'code-server.log'), 'w');
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg', 'cache'),
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
    // The extension host inherits this environment: the suites write their results here.
    LAMBDA_BEHAVIOR_HOST_RESULTS: resultsFile,
  };
  const args = [
    '--config', path.join(runDir, 'config.yaml'),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', userData,
    '--extensions-dir', path.join(runDir, 'extensions'),
  ];
  const child = spawn(codeServer, args, { cwd: runDir, env, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return child;
}

async function waitHealthy(child, port, runDir) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}) before it was ready:\n${tail(path.join(runDir, 'code-server.log'))}`);
    if (await healthy(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('code-server did not answer /healthz within 60 s');
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The workbench URL; the extension paths must be vscode-remote URIs with code-server's `remote` authority. */
function workbenchUrl(port, workspace, payload) {
  const remote = (p) => `vscode-remote://remote${p}`;
  const entries = Object.entries(payload).map(([k, v]) => [k, remote(v)]);
  return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(entries))}`;
}

async function launchBrowser(runDir) {
  const { chromium } = require('playwright-core');
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (test/host/install.sh does)`);
  const home = path.join(runDir, 'chromium-home');
  return chromium.launchPersistentContext(path.join(runDir, 'chromium-profile'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
  });
}

/** Loads the workbench with the suites as extensionTestsPath and resolves with codeAutomationExit's code. */
async function runSuites(context, url, consoleLog) {
  const page = await context.newPage();
  let exit;
  const exited = new Promise((resolve) => (exit = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => exit(code));
  await page.exposeFunction('codeAutomationLog', (type, args) => consoleLog.push(`[${type}] ${Array.isArray(args) ? util.format(...args) : args}`));
  page.on('pageerror', (err) => consoleLog.push(`[pageerror] ${err.message}`));
  await page.goto(url);
  const code = await exited;
  await page.close();
  return code;
}

/** A person's view: open the panel, click the welcome buttons, expand the function with the most findings, screenshot. */
async function lookAtThePanel(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  const tab = page.getByRole('tab', { name: /Lambda Behavior/ });
  await tab.waitFor({ timeout: 60_000 });
  await tab.click();
  await page.getByRole('button', { name: 'Open demo account', exact: true }).click({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Scan all functions', exact: true }).click({ timeout: 30_000 });
  const rows = page.locator('.pane-body .monaco-list-row');
  const orderApi = rows.filter({ hasText: 'OrderApi' });
  await orderApi.waitFor({ timeout: 60_000 });
  // Widen the side bar so that finding titles are readable in the picture.
  const sash = await page.locator('.part.sidebar').boundingBox();
  if (sash) {
    const x = sash.x + sash.width;
    await page.mouse.move(x, 400);
    await page.mouse.down();
    await page.mouse.move(x + 260, 400, { steps: 5 });
    await page.mouse.up();
  }
  await orderApi.click();
  await page.keyboard.press('ArrowRight');
  const finding = rows.filter({ hasText: 'New API call' });
  await finding.waitFor({ timeout: 10_000 });
  // Let the progress notification fade before the picture.
  await page.locator('.notifications-toasts .notification-toast').waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  await finding.hover();
  await page.locator('.monaco-hover').filter({ hasText: 'ListBuckets' }).first().waitFor({ timeout: 10_000 });
  const labels = await rows.evaluateAll((els) =>
    els.map((el) => ({
      label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
    })),
  );
  fs.mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: screenshot });
  await page.close();
  return labels;
}

function printResults(results) {
  console.log(`\nextension host: VS Code ${results.vscodeVersion}`);
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
    console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (t.error) console.log(t.error.split('\n').map((l) => `      ${l}`).join('\n'));
  }
}

async function main() {
  const timeout = setTimeout(() => {
    state.timedOut = true;
    console.error(`host tests: timed out after ${TIMEOUT_MS / 1000} s`);
    cleanup().finally(() => process.exit(1));
  }, TIMEOUT_MS);
  timeout.unref();
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => cleanup().finally(() => process.exit(130)));

  run('bash', [path.join(hostDir, 'install.sh')]);
  stage('install');
  run(process.execPath, ['esbuild.config.js', '--host-tests']);
  stage('build');

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-behavior-host-'));
  state.runDir = runDir;
  const workspace = path.join(runDir, 'workspace');
  fs.mkdirSync(workspace);
  const resultsFile = path.join(runDir, 'results.json');
  const port = await freePort();
  state.server = startCodeServer(runDir, port, resultsFile);
  await waitHealthy(state.server, port, runDir);
  stage('code-server start');

  state.context = await launchBrowser(runDir);
  const consoleLog = [];
  const code = await runSuites(state.context, workbenchUrl(port, workspace, { extensionDevelopmentPath: root, extensionTestsPath: suiteIndex }), consoleLog);
  stage('suites');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'extension-host-console.log'), consoleLog.join('\n') + '\n');

  let passed = 0;
  let failed = 0;
  if (fs.existsSync(resultsFile)) {
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    printResults(results);
    passed += results.passed;
    failed += results.failed;
  } else {
    console.log('\nthe suites wrote no results: the extension host console says\n' + consoleLog.slice(-40).join('\n'));
  }
  if (code !== 0 && failed === 0) failed += 1; // run() threw before or outside the tests

  // The panel as a person sees it; counted as one more test.
  try {
    const rows = await lookAtThePanel(state.context, workbenchUrl(port, workspace, { extensionDevelopmentPath: root }));
    const functions = rows.filter((r) => /^(no findings|\d+ findings?)$/.test(r.description));
    const seen = rows.map((r) => `${r.label} (${r.description})`).join(' | ');
    if (functions.length !== 7) throw new Error(`expected 7 function rows, saw: ${seen}`);
    const orderApi = functions.find((r) => r.label === 'OrderApi');
    if (orderApi?.description !== '3 findings') throw new Error(`expected OrderApi with 3 findings, saw: ${seen}`);
    console.log(`  ✓ ui: the Lambda Behavior view shows the demo's 7 functions (${path.relative(root, screenshot)})`);
    passed += 1;
  } catch (err) {
    console.log(`  ✗ ui: the Lambda Behavior view shows the demo's functions\n      ${err.message.split('\n').join('\n      ')}`);
    failed += 1;
  }
  stage('ui');

  await cleanup();
  console.log(`\n${timings.join(', ')}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (state.timedOut) return; // the timeout handler reports and exits
    console.error(`host tests: ${err.stack ?? err}`);
    cleanup().finally(() => process.exit(1));
  },
);
