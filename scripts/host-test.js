#!/usr/bin/env node
// `npm run test:host`: the extension's mocha suites inside a real VS Code extension host (code-server in headless Chromium), on a copy of the workspace fixture.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { root, run, installCodeServer, stopwatch, CodeServerRun, runMain } = require('./lib/code-server');

const suiteIndex = path.join(root, 'out', 'test', 'host', 'suite', 'index.js');
const resultsDir = path.join(root, 'test-results', 'host');
const TIMEOUT_MS = Number(process.env.LAMBDA_BEHAVIOR_HOST_TIMEOUT_MS) || 5 * 60_000;

let current;

/** Loads the workbench with the suites as extensionTestsPath and resolves with codeAutomationExit's code. */
async function runSuites(context, url, consoleLog) {
  const page = await context.newPage();
  let exit;
  const exited = new Promise((resolve) => (exit = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => exit(code));
  await page.exposeFunction('codeAutomationLog', (type, args) =>
    consoleLog.push(`[${type}] ${Array.isArray(args) ? util.format(...args) : args}`),
  );
  page.on('pageerror', (err) => consoleLog.push(`[pageerror] ${err.message}`));
  await page.goto(url);
  const code = await exited;
  await page.close();
  return code;
}

function printResults(results) {
  console.log(`\nextension host: VS Code ${results.vscodeVersion}`);
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
    console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (t.error)
      console.log(
        t.error
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n'),
      );
  }
}

async function main() {
  const clock = stopwatch();
  installCodeServer();
  clock.stage('install');
  run(process.execPath, ['esbuild.config.js', '--host-tests']);
  clock.stage('build');

  current = new CodeServerRun({ name: 'host', resultsDir, keep: process.env.LAMBDA_BEHAVIOR_KEEP_HOST_RUN === '1' });
  const workspace = current.workspace();
  const resultsFile = path.join(current.dir, 'results.json');
  // The extension host inherits this environment: the suites write their results there and find the fixture's copy.
  await current.start({ LAMBDA_BEHAVIOR_HOST_RESULTS: resultsFile, LAMBDA_BEHAVIOR_HOST_WORKSPACE: workspace });
  clock.stage('code-server start');

  const context = await current.browser();
  const consoleLog = [];
  const code = await runSuites(
    context,
    current.url(workspace, { extensionDevelopmentPath: root, extensionTestsPath: suiteIndex }),
    consoleLog,
  );
  clock.stage('suites');
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

  await current.cleanup();
  current = undefined;
  console.log(`\n${clock.summary()}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

runMain('host tests', TIMEOUT_MS, () => current, main);
