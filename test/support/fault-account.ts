// moto_server with a small Lambda account behind a fault proxy, and a scan through it with fast retries: the fixture of the fault tests.
import * as path from 'node:path';
import type { ScanReport } from '../../src/core/model';
import { scan, type ScanOptions } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { AwsSource, type AwsSourceOptions } from '../../src/aws/source';
import { startFaultProxy, type FaultProxy, type Tenant } from './fault-proxy';
import { buildMotoAccount, type MotoAccount } from './moto-account';
import { startMoto, type MotoServer } from './moto';

/** The tests' small ip-ranges document (test/fixtures/ip-ranges.json). */
export const TEST_IP_RANGES = path.join(__dirname, '..', 'fixtures', 'ip-ranges.json');

/** Every operation a scan sends (docs/iam-policy.json). */
export const SCAN_ACTIONS = [
  'sts:GetCallerIdentity',
  'lambda:ListFunctions',
  'lambda:ListTags',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeFlowLogs',
  'logs:DescribeLogGroups',
  'logs:StartQuery',
  'logs:GetQueryResults',
  'logs:StopQuery',
  'logs:FilterLogEvents',
  'cloudtrail:LookupEvents',
  'cloudwatch:GetMetricData',
] as const;

export interface FaultFixture {
  moto: MotoServer;
  proxy: FaultProxy;
  account: MotoAccount;
  stop(): Promise<void>;
}

export async function startFaultFixture(): Promise<FaultFixture> {
  const moto = await startMoto();
  try {
    const account = await buildMotoAccount(moto.endpoint, 'us-east-1', { days: 3 });
    const proxy = await startFaultProxy(moto.endpoint);
    return {
      moto,
      proxy,
      account,
      stop: async () => {
        await proxy.stop();
        await moto.stop();
      },
    };
  } catch (err) {
    await moto.stop();
    throw err;
  }
}

export interface FaultScan {
  outcome: ScanReport | Error;
  ms: number;
  notices: string[];
}

export async function scanThrough(
  f: FaultFixture,
  tenant: Tenant,
  options: { maxAttempts?: number; socketMs?: number; source?: AwsSourceOptions; scan?: ScanOptions } = {},
): Promise<FaultScan> {
  const notices: string[] = [];
  const clients = createClients({
    region: 'us-east-1',
    endpoint: f.proxy.endpoint,
    credentials: tenant.credentials,
    maxAttempts: options.maxAttempts ?? 2,
    timeouts: { connectMs: 2_000, socketMs: options.socketMs ?? 5_000 },
  });
  // A local ip-ranges document: a test never downloads AWS's (and without one, coverage would say public peers are unknown).
  const source = new AwsSource(clients, { onNotice: (m) => notices.push(m), ipRanges: { location: TEST_IP_RANGES }, ...options.source });
  const t0 = Date.now();
  try {
    const outcome = await scan(source, { now: f.account.now.getTime(), baselineDays: 2, ...options.scan }).catch((err: Error) => err);
    return { outcome, ms: Date.now() - t0, notices };
  } finally {
    source.dispose();
  }
}
