// Mocha inside the VS Code extension host: the launcher-agnostic run() that code-server (or @vscode/test-electron) calls.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** Where the launcher wants the results as JSON (passed through the extension host's environment). */
const RESULTS_ENV = 'LAMBDA_BEHAVIOR_HOST_RESULTS';

export interface HostTestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface HostTestResults {
  vscodeVersion: string;
  passed: number;
  failed: number;
  pending: number;
  tests: HostTestResult[];
}

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 60_000,
    reporter: 'spec',
    grep: process.env.LAMBDA_BEHAVIOR_HOST_GREP || undefined,
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const file of files) mocha.addFile(path.join(__dirname, file));

  const tests: HostTestResult[] = [];
  const failures = await new Promise<number>((resolve, reject) => {
    try {
      const runner = mocha.run(resolve);
      runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('fail', (t, err: Error) =>
        tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: err.stack ?? String(err) }),
      );
      runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
    } catch (err) {
      reject(err);
    }
  });

  const resultsPath = process.env[RESULTS_ENV];
  if (resultsPath) {
    const count = (state: HostTestResult['state']) => tests.filter((t) => t.state === state).length;
    const results: HostTestResults = {
      vscodeVersion: vscode.version,
      passed: count('passed'),
      failed: count('failed'),
      pending: count('pending'),
      tests,
    };
    fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2));
  }
  if (files.length === 0) throw new Error(`no *.test.js suites in ${__dirname}`);
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
