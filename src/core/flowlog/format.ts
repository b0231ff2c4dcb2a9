// A flow log's LogFormat (`${version} ${srcaddr} ...`) turned into field positions the record parser uses.

/** Every field VPC Flow Logs can deliver (versions 2 to 8). */
export const KNOWN_FLOW_FIELDS: ReadonlySet<string> = new Set([
  // v2
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
  // v3
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  // v4
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  // v5
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  // v7 (ECS)
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  // v8
  'reject-reason',
]);

export const DEFAULT_LOG_FORMAT =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

/** Field positions (0-based; -1 when the format lacks the field). */
export interface FlowLogFormat {
  text: string;
  fieldCount: number;
  names: string[];
  interfaceId: number;
  srcaddr: number;
  dstaddr: number;
  srcport: number;
  dstport: number;
  protocol: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  action: number;
  logStatus: number;
  flowDirection: number;
  /** v5: the AWS service (ip-ranges subset) of the packet's source and destination address, `-` when none. */
  pktSrcAwsService: number;
  pktDstAwsService: number;
  /** Fields this version of the engine does not know; they are skipped, and reported once. */
  unknownFields: string[];
}

export class LogFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogFormatError';
  }
}

const TOKEN = /^\$\{([a-z0-9-]+)\}$/;
/** AWS defines about 40 fields; a format of more than this many is not a flow log's (and a record must fit the scanner's). */
const MAX_FIELDS = 256;

/** Parses a LogFormat; an empty or missing one is the default (v2) format, as in AWS. */
export function parseLogFormat(text: string | undefined): FlowLogFormat {
  const source = (text ?? '').trim() || DEFAULT_LOG_FORMAT;
  const names: string[] = [];
  for (const token of source.split(/\s+/)) {
    const m = TOKEN.exec(token);
    if (!m) throw new LogFormatError(`LogFormat token "${token.slice(0, 60)}" is not of the form \${field-name}`);
    names.push(m[1]);
  }
  if (names.length > MAX_FIELDS) throw new LogFormatError(`LogFormat has ${names.length} fields: a flow log's has at most ${MAX_FIELDS}`);
  const at = (name: string) => names.indexOf(name);
  const format: FlowLogFormat = {
    text: source,
    fieldCount: names.length,
    names,
    interfaceId: at('interface-id'),
    srcaddr: at('srcaddr'),
    dstaddr: at('dstaddr'),
    srcport: at('srcport'),
    dstport: at('dstport'),
    protocol: at('protocol'),
    packets: at('packets'),
    bytes: at('bytes'),
    start: at('start'),
    end: at('end'),
    action: at('action'),
    logStatus: at('log-status'),
    flowDirection: at('flow-direction'),
    pktSrcAwsService: at('pkt-src-aws-service'),
    pktDstAwsService: at('pkt-dst-aws-service'),
    unknownFields: names.filter((n) => !KNOWN_FLOW_FIELDS.has(n)),
  };
  const missing = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'action'].filter((n) => at(n) < 0);
  if (format.start < 0 && format.end < 0) missing.push('start');
  if (missing.length > 0) {
    throw new LogFormatError(`LogFormat lacks ${missing.map((n) => '${' + n + '}').join(', ')}: peers cannot be told from these records`);
  }
  return format;
}
