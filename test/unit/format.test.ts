// The formatter is configured and applied: every source file is as Prettier writes it (`npm run format` fixes it).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');

test('every source file is formatted (prettier --check, as .prettierrc.json and .prettierignore say)', () => {
  const prettier = require.resolve('prettier/bin/prettier.cjs', { paths: [root] });
  const r = spawnSync(process.execPath, [prettier, '--check', '--log-level', 'warn', '.'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `files Prettier would change (run npm run format):\n${r.stdout}${r.stderr}`);
});
