// Starts a private moto_server (a real AWS API emulator) on a free local port for adapter tests, and stops it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface MotoServer {
  /** Base URL for the SDK's `endpoint` option, e.g. `http://127.0.0.1:54321`. */
  endpoint: string;
  port: number;
  /** Forget every resource in every service (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Kill moto's process group and wait for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** moto accepts any credentials; these keep the SDK from looking for real ones. */
export const testCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** Options for any SDK v3 client that should talk to moto instead of AWS. */
export function clientConfig(
  endpoint: string,
  region: string,
): { endpoint: string; region: string; credentials: typeof testCredentials; maxAttempts: number } {
  return { endpoint, region, credentials: testCredentials, maxAttempts: 2 };
}

const STARTUP_DEADLINE_MS = 30_000;
const STDERR_KEPT = 8_000;

/** A port nothing listens on right now: the OS picks it for a throwaway listener. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Spawns `moto_server -H 127.0.0.1 -p <free port>` and resolves once it answers HTTP. */
export async function startMoto(options: { binary?: string } = {}): Promise<MotoServer> {
  const binary = options.binary ?? process.env.MOTO_SERVER ?? 'moto_server';
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;

  // moto logs every request to stderr. It goes to a file, not a pipe: a test that runs the CLI with spawnSync does not
  // read a pipe meanwhile, and once the pipe's buffer filled, moto blocked on its log line and stopped answering.
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-moto-'));
  const logFile = path.join(logDir, 'stderr.log');
  const logFd = fs.openSync(logFile, 'a');
  // detached: its own process group, so stop() also ends the Werkzeug children pyenv's shim may start.
  let child: ChildProcess;
  try {
    child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
      detached: true,
      stdio: ['ignore', 'ignore', logFd],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
  } finally {
    fs.closeSync(logFd);
  }
  const stderrTail = (): string => {
    try {
      const text = fs.readFileSync(logFile, 'utf8');
      return text.slice(-STDERR_KEPT);
    } catch {
      return '';
    }
  };
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || exited || spawnError) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const stop = async () => {
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 3_000);
    await exitedPromise;
    clearTimeout(timer);
    fs.rmSync(logDir, { recursive: true, force: true });
  };
  const describe = () => {
    const stderr = stderrTail().trim();
    return stderr ? `\nmoto_server stderr:\n${stderr}` : ' (no stderr output)';
  };

  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  for (;;) {
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `moto_server not found (tried "${binary}" on PATH). Install it with: pip install 'moto[server]==5.2.1'`
          : `could not start moto_server ("${binary}"): ${spawnError.message}`,
      );
    }
    if (exited) {
      throw new Error(`moto_server exited before it answered (code ${exited.code}, signal ${exited.signal})${describe()}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${STARTUP_DEADLINE_MS / 1000} s${describe()}`);
    }
    await sleep(100);
  }

  return {
    endpoint,
    port,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop,
  };
}

/**
 * Why moto tests cannot run here, or false when they can. Outside CI a developer without moto_server gets
 * them skipped with this reason; on CI (CI=true) they always run, and fail if moto_server is missing.
 */
export function motoSkipReason(): string | false {
  if (process.env.CI) return false;
  const binary = process.env.MOTO_SERVER ?? 'moto_server';
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, binary)));
  return found || fs.existsSync(binary) ? false : `${binary} is not installed (pip install 'moto[server]'); CI always runs these tests`;
}
