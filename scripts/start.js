#!/usr/bin/env node
// `npm start`: the extension as users get it — the packaged .vsix installed into the project's own code-server, media/demo-source open with the Lambda Behavior panel on the demo account — at a URL to open in a browser, until Ctrl-C.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { root, run, installCodeServer, stopwatch, portIsFree, tail, workspaceFixture, CodeServerProfile } = require('./lib/code-server');

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
/** npm start's helper extension (opens the panel and the demo when the window loads): installed here only, never packaged with the product. */
const launcherDir = path.join(root, 'scripts', 'demo-launcher');
/**
 * What `npm run package` reads: the bundles' sources and build configuration, and what .vscodeignore lets into the
 * package. The same bytes here make the same package, so an unchanged fingerprint skips packaging and installing.
 */
const PACKAGE_INPUTS = [
  'src',
  'media',
  'docs/images',
  'docs/iam-policy.json',
  'package.json',
  'package-lock.json',
  'esbuild.config.js',
  'tsconfig.json',
  '.vscodeignore',
  'README.md',
  'LICENSE',
];

const USAGE = `usage: npm start [-- --port N] [-- --vsix FILE]
  Packages the extension (npm run package) when its sources changed since the last start, installs the .vsix into
  the project's own code-server (installed into test/host on first run), and serves media/demo-source with the
  Lambda Behavior panel on the demo account. Open the URL it prints; Ctrl-C stops it.
  --port N      the port on 127.0.0.1 (default: the PORT variable, else a free port)
  --vsix FILE   install this package instead of packaging the working tree
  LAMBDA_BEHAVIOR_DEV_DIR  the profile folder (default .lambda-behavior-dev/): settings, installed extensions, the last scan`;

function parseArgs(argv) {
  const opts = { port: process.env.PORT ? parsePort(process.env.PORT, 'PORT') : undefined, vsix: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port' && argv[i + 1]) opts.port = parsePort(argv[++i], '--port');
    else if (arg.startsWith('--port=')) opts.port = parsePort(arg.slice('--port='.length), '--port');
    else if (arg === '--vsix' && argv[i + 1]) opts.vsix = path.resolve(argv[++i]);
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${arg}\n${USAGE}`, 2);
  }
  if (opts.vsix && !fs.existsSync(opts.vsix)) fail(`${opts.vsix} does not exist`, 2);
  return opts;
}

function parsePort(text, where) {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${where} must be a port number (1-65535), not "${text}"`, 2);
  return port;
}

function fail(message, code = 1) {
  console.error(`npm start: ${message}`);
  process.exit(code);
}

/** sha256 over the files' relative paths and contents, in a stable order; a missing input counts as missing. */
function fingerprint(base, inputs) {
  const hash = crypto.createHash('sha256');
  const add = (rel) => {
    const abs = path.join(base, rel);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) hash.update(`missing ${rel}\0`);
    else if (stat.isDirectory()) for (const name of fs.readdirSync(abs).sort()) add(path.join(rel, name));
    else hash.update(`${rel}\0${stat.size}\0`).update(fs.readFileSync(abs));
  };
  for (const rel of inputs) add(rel);
  return hash.digest('hex');
}

function fileHash(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Packages and installs the extension and the launcher, each only when it changed since what this profile last
 * installed (installed.json remembers the fingerprints) or is no longer installed.
 */
function ensureInstalled(profile, vsixArg, clock) {
  const stateFile = path.join(profile.dir, 'installed.json');
  let state = {};
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch {
    // first start, or a state file we cannot read: install both
  }
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  const installed = profile.installedExtensions();
  clock.stage('installed extensions');
  const want = {
    // A given .vsix is compared by its bytes; the working tree by the files the package is made of.
    extension: vsixArg ? `vsix ${fileHash(vsixArg)}` : `sources ${fingerprint(root, PACKAGE_INPUTS)}`,
    launcher: fingerprint(launcherDir, fs.readdirSync(launcherDir).sort()),
  };
  const launcherManifest = JSON.parse(fs.readFileSync(path.join(launcherDir, 'package.json'), 'utf8'));
  const launcherId = `${launcherManifest.publisher}.${launcherManifest.name}`;

  if (state.extension === want.extension && installed.includes(`${EXTENSION_ID}@${version}`)) {
    console.log(`npm start: the extension is unchanged since the last start: reusing the installed ${EXTENSION_ID}@${version}`);
  } else {
    let vsix = vsixArg;
    if (!vsix) {
      console.log('npm start: packaging the extension (npm run package)…');
      run('npm', ['run', '-s', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] });
      vsix = path.join(root, 'lambda-behavior.vsix');
      clock.stage('package');
    }
    console.log(`npm start: installing ${path.relative(root, vsix) || vsix} into code-server…`);
    profile.installVsix(vsix);
    clock.stage('install');
    state.extension = want.extension;
    writeState(stateFile, state);
  }

  if (state.launcher !== want.launcher || !installed.includes(`${launcherId}@${launcherManifest.version}`)) {
    const vsix = path.join(profile.dir, 'launcher.vsix');
    const vsce = path.join(root, 'node_modules', '.bin', 'vsce');
    const r = spawnSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], {
      cwd: launcherDir,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`packaging scripts/demo-launcher failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    profile.installVsix(vsix);
    clock.stage('launcher');
    state.launcher = want.launcher;
    writeState(stateFile, state);
  }
}

function writeState(file, state) {
  fs.writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
}

/** The code-server of an earlier start of this profile that is still running, if any (two would share one user-data folder). */
function runningServer(pidFile, profile) {
  let saved;
  try {
    saved = JSON.parse(fs.readFileSync(pidFile, 'utf8'));
    // A reused pid is told apart by its command line, which names this profile's user-data folder.
    const cmdline = fs.readFileSync(`/proc/${saved.pid}/cmdline`, 'utf8');
    return cmdline.includes(profile.userData) ? saved : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const clock = stopwatch();
  const opts = parseArgs(process.argv.slice(2));
  const devDir = path.resolve(process.env.LAMBDA_BEHAVIOR_DEV_DIR || path.join(root, '.lambda-behavior-dev'));
  fs.mkdirSync(devDir, { recursive: true });
  const profile = new CodeServerProfile({
    dir: devDir,
    settings: {
      // "Accept as Normal" writes the accepted-behaviour file relative to the workspace, here media/demo-source, which
      // the package ships: the profile keeps it instead, so that an accepted finding never lands in the .vsix or in git.
      'lambdaBehavior.acceptFile': path.join(devDir, 'accepted-behaviour.json'),
      // media/demo-source sits inside this repository: no offer to open it in the Source Control view.
      'git.openRepositoryInParentFolders': 'never',
    },
  });
  const pidFile = path.join(devDir, 'code-server.pid');
  const other = runningServer(pidFile, profile);
  if (other)
    fail(
      `an earlier npm start of ${path.relative(root, devDir) || devDir} is still running at ${other.url} (code-server pid ${other.pid}): stop it first (Ctrl-C in its terminal, or kill -- -${other.pid})`,
    );
  if (opts.port !== undefined && !(await portIsFree(opts.port)))
    fail(`port ${opts.port} is in use: choose another with --port N, or leave it out for a free one`);

  installCodeServer();
  clock.stage('code-server check');
  ensureInstalled(profile, opts.vsix, clock);

  let stopping;
  const stop = async (reason, code) => {
    if (stopping) return stopping;
    stopping = (async () => {
      console.log(`\nnpm start: ${reason}: stopping code-server…`);
      await profile.stop();
      fs.rmSync(pidFile, { force: true });
      process.exit(code);
    })();
    return stopping;
  };
  // Ctrl-C reaches this process twice (from the terminal, and forwarded by npm: the "start" script execs node, so no
  // shell in between dies first and leaves npm to report a signal). code-server runs in its own process group, which
  // stop() ends by its id (killed outright if it has not ended 5 s after SIGTERM).
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(sig, 0));

  try {
    await profile.start({}, { port: opts.port });
    clock.stage('code-server start');
  } catch (err) {
    await profile.stop();
    throw err;
  }
  // Slashes left readable in the folder parameter: the URL is for people to read and copy.
  const url = profile.url(workspaceFixture).replace(/%2F/g, '/');
  fs.writeFileSync(pidFile, JSON.stringify({ pid: profile.server.pid, port: profile.port, url }) + '\n');
  profile.server.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`npm start: code-server exited by itself (${signal ?? `exit ${code}`}); its log ends:\n${tail(profile.log)}`);
    fs.rmSync(pidFile, { force: true });
    process.exit(1);
  });

  const rel = (p) => path.relative(root, p) || p;
  console.log(`
Lambda Behavior in code-server, ready (${clock.summary()}). Open:

    ${url}

  workspace ${rel(workspaceFixture)} · profile ${rel(devDir)} · log ${rel(profile.log)}
  code-server pid ${profile.server.pid} (its own process group); Ctrl-C stops it.`);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
