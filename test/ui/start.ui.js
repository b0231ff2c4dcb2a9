// `npm start` checked as a person uses it: it prints a URL that answers, the page opens on the Lambda Behavior panel with the demo's functions, Ctrl-C or SIGTERM leaves no process behind, and a second start reuses what the first installed.
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const wb = require('./workbench');

const URL_TIMEOUT_MS = 180_000;
/** A second start reuses the installed package and profile: "starts in seconds". Generous for a loaded 2-core machine. */
const SECOND_START_LIMIT_MS = 30_000;

/**
 * @typedef {{
 *   root: string,
 *   resultsDir: string,
 *   vsix: string,
 *   devDir: string,
 *   freePort: () => Promise<number>,
 *   functions: string[],
 *   openPage: (url: string) => Promise<import('playwright-core').Page>,
 * }} StartContext
 */

/** One `npm start` run in its own process group, as a terminal would hold it, with its output collected. */
class NpmStart {
  constructor({ root, port, vsix, devDir }) {
    this.output = '';
    this.started = Date.now();
    // --vsix: the package this UI run already built and checked (the same `npm run package` a plain start runs).
    this.child = spawn('npm', ['start', '--', '--port', String(port), '--vsix', vsix], {
      cwd: root,
      env: { ...process.env, LAMBDA_BEHAVIOR_DEV_DIR: devDir },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [this.child.stdout, this.child.stderr]) stream.on('data', (d) => (this.output += d.toString()));
  }

  /** Resolves to the first match of `pattern` in the output; fails with the output when npm start exits or the time runs out. */
  async waitFor(pattern, timeout) {
    const deadline = Date.now() + timeout;
    let exit;
    void this.exited.then((e) => (exit = e));
    while (Date.now() < deadline) {
      const m = pattern.exec(this.output);
      if (m) return m;
      if (exit) throw new Error(`npm start exited (${exit.signal ?? `exit ${exit.code}`}) before printing ${pattern}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`npm start printed no ${pattern} within ${timeout / 1000} s:\n${this.output}`);
  }

  /** The code-server process group id that npm start reports. */
  codeServerGroup() {
    const m = /code-server pid (\d+)/.exec(this.output);
    assert.ok(m, `npm start names code-server's pid:\n${this.output}`);
    return Number(m[1]);
  }

  /**
   * Sends `sig` to npm start's whole process group, as Ctrl-C in a terminal does, and checks that npm start exits and
   * leaves nothing behind: not its own group, not code-server's, not any process that was under it, and the port closes.
   */
  async stopWith(sig, port) {
    const before = processTree(this.child.pid);
    const csGroup = this.codeServerGroup();
    assert.ok(
      before.some((p) => p.pgid === csGroup),
      `code-server's group ${csGroup} is under npm start before ${sig} (processes: ${describe(before)})`,
    );
    process.kill(-this.child.pid, sig);
    const exit = await Promise.race([this.exited, new Promise((r) => setTimeout(() => r(undefined), 30_000))]);
    assert.ok(exit, `npm start had not exited 30 s after ${sig}:\n${this.output}`);
    assert.equal(exit.code, 0, `npm start exits 0 after ${sig} (it exited ${exit.signal ?? exit.code}):\n${this.output}`);
    for (const pgid of [this.child.pid, csGroup]) assert.equal(groupGone(pgid), true, `process group ${pgid} is gone after ${sig}`);
    const left = before.filter((p) => stillRunning(p));
    assert.deepEqual(left, [], `no process that npm start ran is left after ${sig}: ${describe(left)}`);
    assert.equal(await listening(port), false, `nothing listens on port ${port} after ${sig}`);
    return before.length;
  }
}

/** Every process under `pid` (itself included), from /proc: pid, process group and command line. */
function processTree(pid) {
  const all = fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .flatMap((n) => {
      try {
        const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
        // The command name sits in parentheses and may hold spaces: the fields that follow come after the last ')'.
        const [, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmd = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        return [{ pid: Number(n), ppid: Number(ppid), pgid: Number(pgid), cmd }];
      } catch {
        return []; // ended while we read
      }
    });
  const tree = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    const proc = all.find((x) => x.pid === p);
    if (proc) tree.push(proc);
    queue.push(...all.filter((x) => x.ppid === p).map((x) => x.pid));
  }
  return tree;
}

/** Still running with the same command line (a pid reused by another program does not count). */
function stillRunning(proc) {
  try {
    return fs.readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() === proc.cmd;
  } catch {
    return false;
  }
}

function groupGone(pgid) {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
  });
}

function describe(procs) {
  return procs.map((p) => `${p.pid} [group ${p.pgid}] ${p.cmd.slice(0, 100)}`).join('; ') || 'none';
}

/** The demo's functions in the panel's tree, without a click: what the launcher and a restored scan must show. */
async function waitForDemoTree(page, functions) {
  const first = functions[0];
  await wb
    .treeRow(page, first)
    .waitFor({ timeout: 120_000 })
    .catch(async () => {
      throw await wb.notFound(
        page,
        `the panel shows no ${first} row without a click (the side bar shows: ${JSON.stringify(await wb.treeRows(page))})`,
      );
    });
  const labels = (await wb.treeRows(page)).map((r) => r.label);
  for (const fn of functions) assert.ok(labels.includes(fn), `the panel lists ${fn} (it lists: ${labels.join(' | ')})`);
  assert.ok(labels.includes('demo account'), `the panel's account row is the demo account (rows: ${labels.join(' | ')})`);
  await page.locator('.statusbar-item').filter({ hasText: 'demo account' }).first().waitFor({ timeout: 15_000 });
  return labels;
}

/** @param {import('./harness').UiSuite} suite @param {StartContext} ctx */
function defineStartUiTests(suite, ctx) {
  let start;
  let port;
  let url;
  let page;
  const shot = (name) => page.screenshot({ path: path.join(ctx.resultsDir, name) });
  const folder = encodeURIComponent(path.join(ctx.root, 'media', 'demo-source')).replace(/%2F/g, '/');
  const folderUrl = (p) => `http://127.0.0.1:${p}/?folder=${folder}`;

  const FIRST = 'npm start -- --port N installs the package into a fresh profile and prints the workbench URL, which answers';
  suite.test(FIRST, async () => {
    port = await ctx.freePort();
    start = new NpmStart({ root: ctx.root, port, vsix: ctx.vsix, devDir: ctx.devDir });
    url = (await start.waitFor(/http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+/, URL_TIMEOUT_MS))[0];
    const ms = Date.now() - start.started;
    assert.equal(url, folderUrl(port), 'the URL is on the asked port, with media/demo-source as the folder');
    assert.match(start.output, /installing .*lambda-behavior\.vsix/, 'a fresh profile gets the package installed');
    const res = await get(url);
    assert.equal(res.status, 200, `GET ${url} answers 200`);
    assert.match(res.body, /workbench/i, 'the URL serves the VS Code workbench');
    return `URL after ${(ms / 1000).toFixed(1)} s`;
  });

  const PANEL = "the page opens on the Lambda Behavior panel with the demo account's functions, without a click";
  suite.test(
    PANEL,
    async () => {
      page = await ctx.openPage(url);
      const labels = await waitForDemoTree(page, ctx.functions);
      await page
        .locator('.notifications-toasts .notification-toast')
        .first()
        .waitFor({ state: 'detached', timeout: 15_000 })
        .catch(() => undefined);
      await shot('start.png');
      return `${labels.length} rows`;
    },
    { needs: [FIRST] },
  );

  const SIGINT =
    "Ctrl-C (SIGINT to npm start's process group) ends it, code-server's whole process group and every process under it; the port closes";
  suite.test(
    SIGINT,
    async () => {
      if (page) await page.close();
      page = undefined;
      const n = await start.stopWith('SIGINT', port);
      return `${n} processes ended`;
    },
    { needs: [FIRST] },
  );

  suite.test(
    'a second npm start reuses the installed package, is ready in seconds, reopens the demo scan, and SIGTERM ends it cleanly',
    async () => {
      port = await ctx.freePort();
      start = new NpmStart({ root: ctx.root, port, vsix: ctx.vsix, devDir: ctx.devDir });
      url = (await start.waitFor(/http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+/, URL_TIMEOUT_MS))[0];
      const ms = Date.now() - start.started;
      assert.equal(url, folderUrl(port));
      assert.match(
        start.output,
        /unchanged since the last start: reusing the installed lambda-behavior\.lambda-behavior@/,
        'the second start says it reuses the package',
      );
      assert.doesNotMatch(start.output, /installing|packaging/, 'the second start neither packages nor installs');
      assert.ok(
        ms < SECOND_START_LIMIT_MS,
        `the second start printed its URL within ${SECOND_START_LIMIT_MS / 1000} s (it took ${(ms / 1000).toFixed(1)} s)`,
      );
      page = await ctx.openPage(url);
      await waitForDemoTree(page, ctx.functions);
      await shot('start-again.png');
      await page.close();
      page = undefined;
      await start.stopWith('SIGTERM', port);
      return `URL after ${(ms / 1000).toFixed(1)} s`;
    },
    { needs: [SIGINT] },
  );

  /** Whatever a failed check left running: npm start's group, then code-server's if npm start could not end it. */
  return {
    async cleanup() {
      if (!start) return;
      const signal = (pgid, sig) => {
        try {
          process.kill(-pgid, sig);
        } catch {
          // already gone
        }
      };
      if (start.child.exitCode === null && start.child.signalCode === null) {
        signal(start.child.pid, 'SIGTERM');
        await Promise.race([start.exited, new Promise((r) => setTimeout(r, 15_000))]);
        signal(start.child.pid, 'SIGKILL');
      }
      const m = /code-server pid (\d+)/.exec(start.output);
      if (m && !groupGone(Number(m[1]))) signal(Number(m[1]), 'SIGKILL');
    },
  };
}

module.exports = { defineStartUiTests };
