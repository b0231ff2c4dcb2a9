// code-server (a real VS Code) for the extension-host suites, the UI tests and `npm start`: its install, a profile folder (user data, extensions), its start and the end of its process group, and headless Debian Chromium for the tests.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const hostDir = path.join(root, 'test', 'host');
const codeServerBin = path.join(hostDir, 'node_modules', '.bin', 'code-server');
/**
 * The workspace fixture: the demo account's sample source (a SAM project of its seven functions), the same folder the
 * extension ships as its demo fallback. Each run opens a copy, so tests may write to it, and a mapping from the
 * workspace is told apart from the fallback by its path.
 */
const workspaceFixture = path.join(root, 'media', 'demo-source');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Installs code-server (and Chromium) on first use; under a second when they are already there. */
function installCodeServer() {
  run('bash', [path.join(hostDir, 'install.sh')]);
}

/** Stage timings for the closing summary line. */
function stopwatch() {
  const started = Date.now();
  let stageStart = started;
  const timings = [];
  return {
    stage(name) {
      const now = Date.now();
      timings.push(`${name} ${((now - stageStart) / 1000).toFixed(1)} s`);
      stageStart = now;
    },
    summary() {
      return `${timings.join(', ')}; total ${((Date.now() - started) / 1000).toFixed(1)} s`;
    },
  };
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

/** Whether nothing listens on 127.0.0.1:port (a port asked for by name is checked first: another server's /healthz would pass for ours). */
function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
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

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * A code-server profile: a folder holding its config, user data (settings, global storage), extensions and XDG dirs.
 * Without `--config` and the XDG variables code-server writes into the home folder. The test runs use a fresh temp
 * folder (CodeServerRun); `npm start` keeps one in the project (scripts/start.js), so that what it installed stays.
 */
class CodeServerProfile {
  /** @param {{ dir: string, settings?: Record<string, unknown> }} options settings: written when the profile has none yet (a kept profile keeps the user's edits). */
  constructor({ dir, settings = {} }) {
    this.dir = dir;
    this.userData = path.join(dir, 'user-data');
    this.extensionsDir = path.join(dir, 'extensions');
    this.log = path.join(dir, 'code-server.log');
    this.server = undefined;
    this.port = undefined;
    const settingsFile = path.join(this.userData, 'User', 'settings.json');
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    if (!fs.existsSync(settingsFile)) {
      fs.writeFileSync(
        settingsFile,
        JSON.stringify(
          { 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false, ...settings },
          null,
          2,
        ),
      );
    }
    const config = path.join(dir, 'config.yaml');
    if (!fs.existsSync(config)) fs.writeFileSync(config, '');
  }

  /** code-server's environment; the extension host inherits it, which is how paths reach the suites. */
  env(extra = {}) {
    return {
      ...process.env,
      XDG_CONFIG_HOME: path.join(this.dir, 'xdg', 'config'),
      XDG_DATA_HOME: path.join(this.dir, 'xdg', 'data'),
      XDG_CACHE_HOME: path.join(this.dir, 'xdg', 'cache'),
      EXTENSIONS_GALLERY: '{"serviceUrl":""}',
      ...extra,
    };
  }

  baseArgs() {
    return ['--config', path.join(this.dir, 'config.yaml'), '--user-data-dir', this.userData, '--extensions-dir', this.extensionsDir];
  }

  /** Installs a .vsix into this profile's extensions folder the way a user would (offline: no gallery involved); resolves to the installed `id@version`s. */
  installVsix(vsix) {
    const r = spawnSync(codeServerBin, [...this.baseArgs(), '--install-extension', vsix, '--force'], {
      cwd: this.dir,
      env: this.env(),
      encoding: 'utf8',
    });
    if (r.status !== 0)
      throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    return this.installedExtensions();
  }

  /** `id@version` of each installed extension, as `code-server --list-extensions --show-versions` prints them. */
  installedExtensions() {
    const list = spawnSync(codeServerBin, [...this.baseArgs(), '--list-extensions', '--show-versions'], {
      cwd: this.dir,
      env: this.env(),
      encoding: 'utf8',
    });
    return list.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  /**
   * Starts code-server detached (its own process group, ended by id) and waits until /healthz answers.
   * port: a free one when not given.
   */
  async start(extraEnv = {}, { port } = {}) {
    this.port = port ?? (await freePort());
    const log = fs.openSync(this.log, 'w');
    const args = [
      ...this.baseArgs(),
      '--bind-addr',
      `127.0.0.1:${this.port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ];
    this.server = spawn(codeServerBin, args, { cwd: this.dir, env: this.env(extraEnv), detached: true, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.server.exitCode !== null)
        throw new Error(`code-server exited (${this.server.exitCode}) before it was ready:\n${tail(this.log)}`);
      if (await healthy(this.port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('code-server did not answer /healthz within 60 s');
  }

  /**
   * The workbench URL for a folder. Payload paths (extensionDevelopmentPath, extensionTestsPath) must be
   * vscode-remote URIs with code-server's `remote` authority: file:// URIs never start the tests.
   */
  url(folder, payload = {}) {
    const entries = Object.entries(payload).map(([k, v]) => [k, `vscode-remote://remote${v}`]);
    const query = `folder=${encodeURIComponent(folder)}`;
    return `http://127.0.0.1:${this.port}/?${query}${entries.length ? `&payload=${encodeURIComponent(JSON.stringify(entries))}` : ''}`;
  }

  /** Ends code-server's process group (politely first); does nothing when it is not running. */
  async stop() {
    if (this.server) await stopProcessGroup(this.server);
    this.server = undefined;
  }
}

/** One test run's world: a profile in a fresh temp folder, the Chromium profile and a copy of the workspace fixture. */
class CodeServerRun extends CodeServerProfile {
  /** @param {{ name: string, resultsDir: string, keep?: boolean, settings?: Record<string, unknown> }} options */
  constructor({ name, resultsDir, keep = false, settings = {} }) {
    super({ dir: fs.mkdtempSync(path.join(os.tmpdir(), `lambda-behavior-${name}-`)), settings });
    this.resultsDir = resultsDir;
    this.keep = keep;
    this.context = undefined;
  }

  /** A copy of the workspace fixture (media/demo-source) in the run folder. */
  workspace(name = 'workspace') {
    const dest = path.join(this.dir, name);
    fs.cpSync(workspaceFixture, dest, { recursive: true });
    return dest;
  }

  async browser(viewport = { width: 1280, height: 800 }) {
    const { chromium } = require('playwright-core');
    if (!fs.existsSync(chromiumPath))
      throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (test/host/install.sh does)`);
    const home = path.join(this.dir, 'chromium-home');
    this.context = await chromium.launchPersistentContext(path.join(this.dir, 'chromium-profile'), {
      executablePath: chromiumPath,
      headless: true,
      viewport,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
    });
    return this.context;
  }

  /** Ends the browser and code-server's process group, keeps code-server's log, removes the run folder. */
  async cleanup() {
    if (this.context) await this.context.close().catch(() => undefined);
    this.context = undefined;
    await this.stop();
    if (fs.existsSync(this.log)) {
      fs.mkdirSync(this.resultsDir, { recursive: true });
      fs.copyFileSync(this.log, path.join(this.resultsDir, 'code-server.log'));
    }
    if (this.keep) console.log(`run folder kept: ${this.dir}`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether any process of the group is still there (signal 0 checks without sending anything). */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * code-server runs in its own process group (detached): end the group by its id, politely first, and wait until every
 * process of it is gone — the leader's exit is not enough, its extension host and file watcher may outlive it a moment.
 */
async function stopProcessGroup(child) {
  const pgid = child.pid;
  const signal = (sig) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is already gone
    }
  };
  const leaderRunning = child.exitCode === null && child.signalCode === null;
  if (!leaderRunning && !groupAlive(pgid)) return;
  const exited = leaderRunning ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  for (let waited = 0; groupAlive(pgid) && waited < 7000; waited += 50) {
    if (waited === 5000) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
  clearTimeout(timer);
}

/**
 * Runs main() with a hard time limit and the run cleaned up on every way out (failure, timeout, Ctrl-C).
 * main resolves to the exit code.
 */
function runMain(label, timeoutMs, getRun, main) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`${label}: timed out after ${timeoutMs / 1000} s`);
    Promise.resolve(getRun()?.cleanup()).finally(() => process.exit(1));
  }, timeoutMs);
  timer.unref();
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => Promise.resolve(getRun()?.cleanup()).finally(() => process.exit(130)));
  main().then(
    (code) => process.exit(code),
    (err) => {
      if (timedOut) return; // the timeout handler reports and exits
      console.error(`${label}: ${err.stack ?? err}`);
      Promise.resolve(getRun()?.cleanup()).finally(() => process.exit(1));
    },
  );
}

module.exports = {
  root,
  hostDir,
  codeServerBin,
  chromiumPath,
  workspaceFixture,
  run,
  installCodeServer,
  stopwatch,
  freePort,
  portIsFree,
  healthy,
  tail,
  CodeServerProfile,
  CodeServerRun,
  stopProcessGroup,
  runMain,
};
