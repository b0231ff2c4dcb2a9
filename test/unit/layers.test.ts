// The layer fence: the engine (src/core) imports neither VS Code nor the AWS SDK, checked by ESLint as CI runs it.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '..', '..');

test('ESLint passes on the whole source tree', async () => {
  const eslint = new ESLint({ cwd: root, errorOnUnmatchedPattern: false });
  const results = await eslint.lintFiles(['src', 'test', 'bench']);
  const problems = results.flatMap((r) =>
    r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`),
  );
  assert.deepEqual(problems, []);
});

test('the fence rejects vscode, the AWS SDK and fs in the engine, and only there', async () => {
  const eslint = new ESLint({ cwd: root });
  const text =
    "import * as vscode from 'vscode';\nimport { EC2Client } from '@aws-sdk/client-ec2';\nimport * as fs from 'node:fs';\nexport const x = [vscode, EC2Client, fs];\n";
  const [inCore] = await eslint.lintText(text, { filePath: path.join(root, 'src', 'core', 'fence-probe.ts') });
  const fenced = inCore.messages.filter((m) => m.ruleId === 'no-restricted-imports');
  assert.equal(fenced.length, 3, JSON.stringify(inCore.messages));
  const [inExtension] = await eslint.lintText(text, { filePath: path.join(root, 'src', 'extension', 'fence-probe.ts') });
  assert.equal(inExtension.messages.filter((m) => m.ruleId === 'no-restricted-imports').length, 0);
});
