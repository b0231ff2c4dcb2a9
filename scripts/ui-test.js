#!/usr/bin/env node
// `npm run test:ui`: packages the extension, installs the .vsix into code-server as a user would, drives it in headless Chromium (test/ui), then checks `npm start` with that package (test/ui/start.ui.js); screenshots under test-results/ui.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { root, run, installCodeServer, stopwatch, freePort, CodeServerRun, runMain } = require('./lib/code-server');
const { UiSuite } = require('../test/ui/harness');
const { defineUiTests } = require('../test/ui/lambda-behavior.ui');
const { defineHostileUiTests } = require('../test/ui/hostile.ui');
const { defineStartUiTests } = require('../test/ui/start.ui');

const resultsDir = path.join(root, 'test-results', 'ui');
const TIMEOUT_MS = Number(process.env.LAMBDA_BEHAVIOR_UI_TIMEOUT_MS) || 8 * 60_000;

const USAGE = `usage: node scripts/ui-test.js [--vsix FILE]
  Packages the extension (npm run package) unless --vsix names an existing package, installs it into a
  fresh code-server profile and runs the UI checks in test/ui. Screenshots: test-results/ui/.
  LAMBDA_BEHAVIOR_KEEP_UI_RUN=1 keeps the run folder; LAMBDA_BEHAVIOR_UI_TIMEOUT_MS changes the 8-minute limit.`;

let current;
/** The npm start checks' cleanup: an `npm start` a failed check left running ends with the run. */
let startChecks;

function parseArgs(argv) {
  const opts = { vsix: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--vsix' && argv[i + 1]) opts.vsix = path.resolve(argv[++i]);
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`ui-test: unknown argument ${argv[i]}\n${USAGE}`);
      process.exit(2);
    }
  }
  return opts;
}

/** What the demo account's scan finds, from the same engine through the CLI: what the UI must show. */
function expectedReport() {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'scan', '--demo', '--format', 'json', '--fail-on', 'none'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`the CLI's scan of the demo failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const clock = stopwatch();
  let vsix = opts.vsix;
  if (!vsix) {
    run('npm', ['run', '-s', 'package']);
    vsix = path.join(root, 'lambda-behavior.vsix');
    clock.stage('package');
  }
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist`);
  installCodeServer();
  clock.stage('install');
  const expected = expectedReport();

  fs.rmSync(resultsDir, { recursive: true, force: true }); // no screenshot left from an earlier run
  fs.mkdirSync(resultsDir, { recursive: true });
  current = new CodeServerRun({
    name: 'ui',
    resultsDir,
    keep: process.env.LAMBDA_BEHAVIOR_KEEP_UI_RUN === '1',
    // The window title names the active editor's full path: how the tests know which file the editor shows.
    settings: { 'window.title': '${activeEditorLong}', 'workbench.editor.enablePreview': false },
  });
  const installed = current.installVsix(vsix);
  clock.stage('install .vsix');
  const workspace = current.workspace();
  await current.start();
  const context = await current.browser({ width: 1600, height: 1000 });
  clock.stage('code-server start');

  const pageErrors = [];
  let page;
  const suite = new UiSuite({ page: () => page, resultsDir });
  defineUiTests(suite, {
    root,
    vsix,
    installed,
    version: require('../package.json').version,
    workspace,
    resultsDir,
    expected,
    openPage: async () => {
      page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(current.url(workspace));
      return page;
    },
  });
  // After the demo's checks, in the same window: the hostile scenario (src/gen/hostile.ts).
  defineHostileUiTests(suite, {
    root,
    resultsDir,
    openPage: async () => {
      page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(current.url(workspace));
      return page;
    },
  });
  // Then `npm start` (scripts/start.js) with this package, in a profile of its own inside the run folder (its first
  // start installs, its second reuses), opened in the same browser.
  startChecks = defineStartUiTests(suite, {
    root,
    resultsDir,
    vsix,
    devDir: path.join(current.dir, 'npm-start'),
    freePort,
    functions: expected.functions.map((f) => f.name),
    openPage: async (url) => {
      page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(url);
      return page;
    },
  });
  console.log(`\nUI tests: ${path.relative(root, vsix)} in code-server, headless Chromium`);
  const results = await suite.run();
  await startChecks.cleanup();
  clock.stage('ui');
  if (pageErrors.length > 0) fs.writeFileSync(path.join(resultsDir, 'page-errors.log'), pageErrors.join('\n') + '\n');

  await current.cleanup();
  current = undefined;
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`\n${clock.summary()}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** What to end on every way out: a leftover npm start, then the run's code-server and browser. */
function leftovers() {
  if (!current) return undefined;
  const ending = current;
  return {
    cleanup: async () => {
      await startChecks?.cleanup();
      await ending.cleanup();
    },
  };
}

runMain('ui tests', TIMEOUT_MS, leftovers, main);
