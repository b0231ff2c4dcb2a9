// VPC flow-log record formats: the field lists behind each LogFormat string and the formatter that prints a record in that order.
import type { Eni, FlowFormatName } from './model';
import type { LineSink } from './write';

/** One record, reused across the hot loop: fill it, format it, move on. */
export interface FlowRec {
  eni: Eni;
  srcaddr: string;
  dstaddr: string;
  srcport: number;
  dstport: number;
  /** Packet-level addresses: differ from srcaddr/dstaddr only where a NAT gateway rewrote them. */
  pktSrc: string;
  pktDst: string;
  protocol: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  action: 'ACCEPT' | 'REJECT';
  status: 'OK' | 'NODATA' | 'SKIPDATA';
  tcpFlags: number;
  direction: 'ingress' | 'egress';
  /** Egress path code (1 = within the VPC, 8 = out through the internet gateway); '-' for ingress. */
  trafficPath: string;
  /** The AWS service (ip-ranges name: S3, DYNAMODB) that the packet's source or destination address belongs to, or '-'. */
  pktSrcService: string;
  pktDstService: string;
}

export interface FlowContext {
  accountId: string;
  vpcId: string;
  region: string;
}

/** Writes one field's value; `version` is the record version the format implies. */
type Put = (r: FlowRec, c: FlowContext, out: LineSink, version: string) => void;

interface FieldDef {
  /** Present even in NODATA/SKIPDATA records, which carry no traffic. */
  meta: boolean;
  version: number;
  put: Put;
}

const DASH = 45;

const FIELDS: Record<string, FieldDef> = {
  version: { meta: true, version: 2, put: (_r, _c, o, v) => o.ascii(v) },
  'account-id': { meta: true, version: 2, put: (_r, c, o) => o.ascii(c.accountId) },
  'interface-id': { meta: true, version: 2, put: (r, _c, o) => o.ascii(r.eni.id) },
  srcaddr: { meta: false, version: 2, put: (r, _c, o) => o.ascii(r.srcaddr) },
  dstaddr: { meta: false, version: 2, put: (r, _c, o) => o.ascii(r.dstaddr) },
  srcport: { meta: false, version: 2, put: (r, _c, o) => o.int(r.srcport) },
  dstport: { meta: false, version: 2, put: (r, _c, o) => o.int(r.dstport) },
  protocol: { meta: false, version: 2, put: (r, _c, o) => o.int(r.protocol) },
  packets: { meta: false, version: 2, put: (r, _c, o) => o.int(r.packets) },
  bytes: { meta: false, version: 2, put: (r, _c, o) => o.int(r.bytes) },
  start: { meta: true, version: 2, put: (r, _c, o) => o.int(r.start) },
  end: { meta: true, version: 2, put: (r, _c, o) => o.int(r.end) },
  action: { meta: false, version: 2, put: (r, _c, o) => o.ascii(r.action) },
  'log-status': { meta: true, version: 2, put: (r, _c, o) => o.ascii(r.status) },
  'vpc-id': { meta: true, version: 3, put: (_r, c, o) => o.ascii(c.vpcId) },
  'subnet-id': { meta: true, version: 3, put: (r, _c, o) => o.ascii(r.eni.subnet.id) },
  'instance-id': { meta: true, version: 3, put: (r, _c, o) => (r.eni.instanceId ? o.ascii(r.eni.instanceId) : o.byte(DASH)) },
  'tcp-flags': { meta: false, version: 3, put: (r, _c, o) => o.int(r.tcpFlags) },
  type: { meta: false, version: 3, put: (_r, _c, o) => o.ascii('IPv4') },
  'pkt-srcaddr': { meta: false, version: 3, put: (r, _c, o) => o.ascii(r.pktSrc) },
  'pkt-dstaddr': { meta: false, version: 3, put: (r, _c, o) => o.ascii(r.pktDst) },
  region: { meta: true, version: 4, put: (_r, c, o) => o.ascii(c.region) },
  'az-id': { meta: true, version: 4, put: (r, _c, o) => o.ascii(r.eni.subnet.azId) },
  'sublocation-type': { meta: true, version: 4, put: (_r, _c, o) => o.byte(DASH) },
  'sublocation-id': { meta: true, version: 4, put: (_r, _c, o) => o.byte(DASH) },
  'pkt-src-aws-service': { meta: false, version: 5, put: (r, _c, o) => o.ascii(r.pktSrcService) },
  'pkt-dst-aws-service': { meta: false, version: 5, put: (r, _c, o) => o.ascii(r.pktDstService) },
  'flow-direction': { meta: false, version: 5, put: (r, _c, o) => o.ascii(r.direction) },
  'traffic-path': { meta: false, version: 5, put: (r, _c, o) => o.ascii(r.trafficPath) },
};

export const FORMAT_FIELDS: Record<FlowFormatName, readonly string[]> = {
  v2: [
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
  ],
  v5: [
    'version',
    'vpc-id',
    'subnet-id',
    'instance-id',
    'interface-id',
    'account-id',
    'type',
    'srcaddr',
    'dstaddr',
    'srcport',
    'dstport',
    'pkt-srcaddr',
    'pkt-dstaddr',
    'protocol',
    'bytes',
    'packets',
    'start',
    'end',
    'action',
    'tcp-flags',
    'log-status',
    'flow-direction',
  ],
  // Custom formats put fields in any order; these include v4/v5 fields that are '-' for this VPC (no Outposts; AWS-service addresses only in the traps profile).
  custom: [
    'account-id',
    'region',
    'az-id',
    'interface-id',
    'instance-id',
    'flow-direction',
    'srcaddr',
    'srcport',
    'dstaddr',
    'dstport',
    'protocol',
    'pkt-srcaddr',
    'pkt-dstaddr',
    'start',
    'end',
    'packets',
    'bytes',
    'action',
    'tcp-flags',
    'traffic-path',
    'pkt-src-aws-service',
    'pkt-dst-aws-service',
    'sublocation-type',
    'sublocation-id',
    'log-status',
    'version',
  ],
};

/** The traps profile's subnet flow log: a custom v5 format that names the AWS service behind each public address. */
export const SERVICE_FIELDS: readonly string[] = [
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
  'vpc-id',
  'subnet-id',
  'flow-direction',
  'traffic-path',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
];

/** A named format's fields, or a custom list as is. */
function fieldsOf(format: FlowFormatName | readonly string[]): readonly string[] {
  return typeof format === 'string' ? FORMAT_FIELDS[format] : format;
}

export function logFormatString(format: FlowFormatName | readonly string[]): string {
  return fieldsOf(format)
    .map((f) => `\${${f}}`)
    .join(' ');
}

/** AWS: the default format is version 2; a custom format's version is that of its newest field. */
function recordVersion(format: FlowFormatName | readonly string[]): string {
  if (format === 'v2') return '2';
  return String(Math.max(...fieldsOf(format).map((f) => FIELDS[f]?.version ?? 2)));
}

/** Writes one record as a line of `out`. */
export type Formatter = (r: FlowRec, out: LineSink) => void;

/** Longest line we could write: 26 fields, none longer than an ENI id or an account id. */
const MAX_LINE = 1024;

export function makeFormatter(format: FlowFormatName | readonly string[], ctx: FlowContext): Formatter {
  const version = recordVersion(format);
  const defs = fieldsOf(format).map((name) => {
    const def = FIELDS[name];
    if (!def) throw new Error(`unknown flow-log field ${name}`);
    return def;
  });
  const count = defs.length;
  return (r: FlowRec, out: LineSink) => {
    out.reserve(MAX_LINE);
    const traffic = r.status === 'OK';
    for (let i = 0; i < count; i++) {
      const d = defs[i] as FieldDef;
      if (i > 0) out.byte(32);
      if (traffic || d.meta) d.put(r, ctx, out, version);
      else out.byte(DASH);
    }
    out.endLine();
  };
}
