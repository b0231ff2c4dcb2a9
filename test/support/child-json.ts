// A test file run again as a child process (its own copy of the code, as a second window or CLI would be), answering with JSON.
import { spawn } from 'node:child_process';

/** Runs `file` under tsx with `env` added; resolves what it printed on stdout as JSON, rejects naming `who` on a non-zero exit. */
export function childJson<T>(file: string, env: Record<string, string>, who: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${who} exited ${code}: ${err}`))));
  });
}
