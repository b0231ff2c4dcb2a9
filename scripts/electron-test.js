#!/usr/bin/env node
// `npm run test:electron`: the same extension-host suites in desktop VS Code through @vscode/test-electron, where VS Code can be downloaded (or VSCODE_EXECUTABLE_PATH names an installed one).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, run, workspaceFixture } = require('./lib/code-server');

const suiteIndex = path.join(root, 'out', 'test', 'host', 'suite', 'index.js');
/** How long the VS Code download may take to start answering before we call the machine offline. */
const DOWNLOAD_TIMEOUT_MS = Number(process.env.LAMBDA_BEHAVIOR_ELECTRON_DOWNLOAD_TIMEOUT_MS) || 15_000;

const USAGE = `usage: npm run test:electron
  Runs test/host/suite in desktop VS Code through @vscode/test-electron on a copy of the workspace fixture (media/demo-source).
  VSCODE_EXECUTABLE_PATH=/path/to/code   use an installed VS Code instead of downloading one
  VSCODE_VERSION=1.100.3                 the version to download (default: the latest stable; a cached one offline)
  Linux without a display: run it under xvfb-run.`;

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const { runTests, downloadAndUnzipVSCode } = require('@vscode/test-electron');
  run(process.execPath, ['esbuild.config.js', '--host-tests']);

  let vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH;
  if (vscodeExecutablePath) {
    if (!fs.existsSync(vscodeExecutablePath)) {
      console.error(
        `test:electron: VSCODE_EXECUTABLE_PATH=${vscodeExecutablePath} does not exist (it names the VS Code binary, e.g. /usr/share/code/code)`,
      );
      return 1;
    }
  } else {
    try {
      vscodeExecutablePath = await downloadAndUnzipVSCode({
        version: process.env.VSCODE_VERSION || 'stable',
        timeout: DOWNLOAD_TIMEOUT_MS,
      });
    } catch (err) {
      console.error(
        `test:electron: could not download VS Code (${err instanceof Error ? err.message : String(err)}).\n` +
          'This machine cannot reach the VS Code download servers (update.code.visualstudio.com) and has no copy cached in .vscode-test/.\n' +
          'Set VSCODE_EXECUTABLE_PATH to an installed VS Code to run the suites in it, or run `npm run test:host`, which runs the\n' +
          'same suites in code-server (a real VS Code extension host installed from npm) and works offline.',
      );
      return 1;
    }
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.warn('test:electron: no DISPLAY: VS Code needs one on Linux; run this under xvfb-run if it fails to start');
  }

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-behavior-electron-'));
  try {
    const workspace = path.join(runDir, 'workspace');
    fs.cpSync(workspaceFixture, workspace, { recursive: true });
    const resultsFile = path.join(runDir, 'results.json');
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: root,
      extensionTestsPath: suiteIndex,
      extensionTestsEnv: { LAMBDA_BEHAVIOR_HOST_RESULTS: resultsFile, LAMBDA_BEHAVIOR_HOST_WORKSPACE: workspace },
      launchArgs: [
        workspace,
        '--disable-extensions', // only the extension under test (runTests adds --disable-workspace-trust, --skip-welcome...)
        '--user-data-dir',
        path.join(runDir, 'user-data'),
        '--extensions-dir',
        path.join(runDir, 'extensions'),
      ],
    });
    if (!fs.existsSync(resultsFile)) {
      console.error('test:electron: VS Code exited without running the suites (they wrote no results)');
      return 1;
    }
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    console.log(`\nVS Code ${results.vscodeVersion}: ${results.passed} passed, ${results.failed} failed`);
    return results.failed === 0 && results.passed > 0 ? 0 : 1;
  } catch (err) {
    // runTests rejects when VS Code exits non-zero: the suites failed (mocha printed them) or VS Code did not start.
    console.error(`test:electron: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test:electron: ${err.stack ?? err}`);
    process.exit(1);
  },
);
