// The scan's first stage: the account, its functions, their ENIs and the flow logs, read through the ports.
import { mapLambdaEnis, type LambdaEni } from '../inventory/enis';
import { EniHistory } from '../inventory/history';
import { AwsIpRanges, PeerNamer } from '../inventory/resources';
import type { EpochMs, FlowLogConfig, LambdaFunction, NetworkInterface } from '../model';
import type { AccountInfo } from '../ports';
import { SOURCE_CALLS } from './attempts';
import type { ScanRun } from './run';

export interface InventoryRequest {
  /** The end of the detection window when the caller sets it. */
  now?: EpochMs;
  /** Only these functions (all when empty). */
  functions?: string[];
  /** ENI history kept across scans; the current inventory is added to it. */
  history?: EniHistory;
}

export interface Inventory {
  account: AccountInfo;
  /** The scan's "now": the caller's, else the recording's, else the clock's. */
  now: EpochMs;
  /** Every function of the region: ENIs and CloudTrail events are attributed among all of them. */
  allFunctions: LambdaFunction[];
  /** The functions the report is about. */
  functions: LambdaFunction[];
  selected: ReadonlySet<string>;
  flowLogs: FlowLogConfig[];
  /** Every ENI EC2 listed now (empty when the listing failed): an ENI not among them no longer exists. */
  enis: NetworkInterface[];
  /** The Lambda ENIs used by at least one scanned function. */
  scannedEnis: LambdaEni[];
  /** Which ENI held an address when: this scan's inventory added to the caller's. */
  history: EniHistory;
  namer: PeerNamer;
}

export async function readInventory(run: ScanRun, request: InventoryRequest): Promise<Inventory> {
  const { source, signal, attempts } = run;
  const account = await run.require((s) => source.account(s));
  const now = request.now ?? account.recordedAt ?? run.clock();
  // Without the function list there is nothing to scan: that failure is the scan's.
  const allFunctions = await run.require((s) => source.listFunctions(s));
  const wanted = request.functions?.length ? new Set(request.functions) : undefined;
  const functions = wanted ? allFunctions.filter((f) => wanted.has(f.name)) : allFunctions;
  for (const name of wanted ?? [])
    if (!allFunctions.some((f) => f.name === name)) attempts.warn(`function ${name} was not found in ${account.region}`);
  const enis = (await attempts.attempt(SOURCE_CALLS.networkInterfaces, () => source.listNetworkInterfaces(signal))) ?? [];
  const flowLogs = (await attempts.attempt(SOURCE_CALLS.flowLogs, () => source.describeFlowLogs(signal))) ?? [];
  const ipRangesDoc = source.ipRanges ? await attempts.attempt(SOURCE_CALLS.ipRanges, () => source.ipRanges!(signal)) : undefined;

  const lambdaEnis = mapLambdaEnis(enis, allFunctions);
  const history = request.history ?? new EniHistory();
  history.observe(now, enis, lambdaEnis);
  const namer = new PeerNamer(history, new AwsIpRanges(ipRangesDoc), account.region);
  const selected = new Set(functions.map((f) => f.name));
  const scannedEnis = lambdaEnis.filter((l) => l.functions.some((f) => selected.has(f)));
  return { account, now, allFunctions, functions, selected, flowLogs, enis, scannedEnis, history, namer };
}
