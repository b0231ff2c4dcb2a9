// Redaction for sharing: account ids, public addresses and tag values replaced by stand-ins, consistently, in recordings and reports.
import * as net from 'node:net';
import * as ipaddr from 'ipaddr.js';
import { findingId } from '../core/detect/draft';
import { isPrivateAddress } from '../core/inventory/resources';
import type { Finding, FunctionReport, PeerReport, ScanReport } from '../core/model';

/** AWS's own documentation account ids first, then 1000000000NN: twelve digits, never a real account. */
const ACCOUNT_STAND_INS = ['123456789012', '111122223333', '444455556666', '777788889999', '210987654321'];
/** TEST-NET-1..3 (RFC 5737), then the benchmarking range 198.18.0.0/15 (RFC 2544) once those 762 are used. */
const IPV4_STAND_IN_NETS = ['192.0.2', '198.51.100', '203.0.113'];

const HEX = '[0-9A-Fa-f]';
const V6 = `(?:${HEX}{0,4}:){2,7}(?:${HEX}{1,4}|\\d{1,3}(?:\\.\\d{1,3}){3})?`;
/**
 * One pass over the text, so a stand-in is never redacted again. In order: an IPv6 peer subject (`addr:port/proto`,
 * whose last colon is the port's), a bare IPv6 address, an IPv4 address, a twelve-digit account id.
 */
const TOKENS = new RegExp(
  [
    `(?<![0-9A-Za-z:.])(?<v6sub>${V6}):(?<port>\\d{1,5})(?=/(?:tcp|udp|icmpv6|icmp|\\d{1,3})\\b)`,
    `(?<![0-9A-Za-z:.])(?<v6>${V6})(?![0-9A-Za-z:])`,
    '(?<!\\d|\\d\\.)(?<v4>\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})(?!\\d|\\.\\d)',
    '(?<!\\d)(?<account>\\d{12})(?!\\d)',
  ].join('|'),
  'g',
);
/**
 * Runs of the characters addresses and account ids are made of (with a peer subject's `/proto`): a cheap first pass,
 * TOKENS then looks only inside these short runs. TOKENS over whole texts costs ~200 ms per MB; this, a few ms.
 */
const CANDIDATES = /[0-9A-Fa-f:.]{2,}(?:\/(?:tcp|udp|icmpv6|icmp|\d{1,3})\b)?/g;
const WORTH_A_LOOK = /\d|::/;

/**
 * Consistent replacements: the same account id, public address or tag value always becomes the same stand-in, in
 * JSON, in CloudTrail's embedded records, in flow records and in report text alike, so a redacted recording still
 * replays the same and a redacted report still reads the same. Private addresses (RFC 1918, CGNAT, link-local, ULA)
 * and everything else are kept.
 */
export class Redactor {
  private readonly accounts = new Map<string, string>();
  private readonly addresses = new Map<string, string>();
  private readonly tagValues = new Map<string, string>();
  /** Values seen in the input: never handed out as a stand-in, so a stand-in never reads as another original. */
  private readonly taken = new Set<string>();
  private nextAccount = 0;
  private nextV4 = 0;
  private nextV6 = 0;

  private readonly kept?: RegExp;

  /**
   * `reserved`: strings the input holds (when known up front) that no stand-in may equal. `keep`: strings left as
   * they are wherever they appear (function names such as `export-526018159083`, which stay in a redacted report).
   */
  constructor(reserved: Iterable<string> = [], keep: Iterable<string> = []) {
    for (const r of reserved) this.taken.add(r);
    // Only names that hold something redactable need protecting, so the usual pattern stays the usual one.
    const kept = [...new Set(keep)].filter((k) => new RegExp(TOKENS.source).test(k)).sort((a, b) => b.length - a.length);
    if (kept.length) this.kept = new RegExp(kept.map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
  }

  text(input: string): string {
    if (!this.kept) return this.runs(input);
    // The kept names are cut out first, so no run of address characters can start inside one.
    let out = '';
    let last = 0;
    for (const m of input.matchAll(this.kept)) {
      out += this.runs(input.slice(last, m.index)) + m[0];
      last = m.index + m[0].length;
    }
    return out + this.runs(input.slice(last));
  }

  private runs(input: string): string {
    return input.replace(CANDIDATES, (run: string) => (WORTH_A_LOOK.test(run) ? this.tokens(run) : run));
  }

  private tokens(run: string): string {
    return run.replace(TOKENS, (match, ...args: unknown[]) => {
      const g = args.at(-1) as Record<string, string | undefined>;
      if (g.v6sub !== undefined) return net.isIPv6(g.v6sub) ? `${this.address(g.v6sub)}:${g.port}` : match;
      if (g.v6 !== undefined) return net.isIPv6(g.v6) ? this.address(g.v6) : match;
      if (g.v4 !== undefined) return net.isIPv4(g.v4) ? this.address(g.v4) : match;
      return this.account(g.account!);
    });
  }

  account(id: string): string {
    let out = this.accounts.get(id);
    if (out === undefined) {
      this.taken.add(id);
      do {
        const n = this.nextAccount++;
        out = n < ACCOUNT_STAND_INS.length ? ACCOUNT_STAND_INS[n] : String(100000000000 + n - ACCOUNT_STAND_INS.length + 1);
      } while (this.taken.has(out));
      this.taken.add(out);
      this.accounts.set(id, out);
    }
    return out;
  }

  /** A public address's stand-in from the documentation ranges; a private or unparseable one is returned unchanged. */
  address(ip: string): string {
    if (!net.isIP(ip) || isPrivateAddress(ip)) {
      this.taken.add(ip);
      return ip;
    }
    const key = canonical(ip);
    let out = this.addresses.get(key);
    if (out === undefined) {
      this.taken.add(ip).add(key);
      do out = net.isIPv6(ip) && !ipaddr.process(ip).kind().startsWith('ipv4') ? this.v6StandIn() : this.v4StandIn();
      while (this.taken.has(out));
      this.taken.add(out);
      this.addresses.set(key, out);
    }
    return out;
  }

  tagValue(value: string): string {
    let out = this.tagValues.get(value);
    if (out === undefined) this.tagValues.set(value, (out = `redacted-tag-value-${this.tagValues.size + 1}`));
    return out;
  }

  private v4StandIn(): string {
    const n = this.nextV4++;
    if (n < 254 * IPV4_STAND_IN_NETS.length) return `${IPV4_STAND_IN_NETS[Math.floor(n / 254)]}.${(n % 254) + 1}`;
    const m = n - 254 * IPV4_STAND_IN_NETS.length + 1; // 198.18.0.1 ... 198.19.255.254
    return `198.${18 + ((m >> 16) & 1)}.${(m >> 8) & 255}.${m & 255}`;
  }

  private v6StandIn(): string {
    const n = ++this.nextV6;
    return n <= 0xffff ? `2001:db8::${n.toString(16)}` : `2001:db8::${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
}

function canonical(ip: string): string {
  try {
    return ipaddr.process(ip).toString();
  } catch {
    return ip;
  }
}

/** Every string in a value, keys included, for the reserved set. */
function collectStrings(value: unknown, out: Set<string>, seen = new Set<unknown>()): void {
  if (typeof value === 'string') {
    for (const [run] of value.matchAll(CANDIDATES)) {
      if (!WORTH_A_LOOK.test(run)) continue;
      for (const m of run.matchAll(TOKENS)) {
        const g = m.groups!;
        const token = g.v6sub ?? g.v6 ?? g.v4 ?? g.account;
        if (token !== undefined) out.add(token).add(canonical(token));
      }
    }
    return;
  }
  if (!value || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    collectStrings(k, out, seen);
    collectStrings(v, out, seen);
  }
}

/** Every string of a JSON-like value through `text`, keys included; numbers, booleans and structure unchanged. */
function mapStrings(value: unknown, text: (s: string) => string): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, text));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) define(out, text(k), mapStrings(v, text));
    return out;
  }
  return value;
}

/** A plain own property even for a key such as `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const NETWORK_KINDS = new Set(['new-peer', 'rejected-traffic', 'traffic-spike']);

/**
 * A copy of the report for sharing: account ids (the report's, and the account part of every ARN), public IPv4 and
 * IPv6 addresses and tag values replaced by stand-ins (documentation ranges, `123456789012`-style ids), the same
 * original always by the same stand-in. Function names, private addresses, counts and findings stay; finding ids are
 * recomputed from the redacted subjects (the original id is a hash of the original address).
 */
export function redactReport(report: ScanReport): ScanReport {
  const reserved = new Set<string>();
  collectStrings(report, reserved);
  const r = new Redactor(
    reserved,
    report.functions.map((f) => f.name),
  );
  // The report's own account first, so it gets the first stand-in.
  const accountId = r.account(report.accountId);
  const text = (s: string) => r.text(s);
  const redactPeer = (p: PeerReport): PeerReport => ({ ...(mapStrings(p, text) as PeerReport), address: r.address(p.address) });
  const redactFinding = (fn: string, f: Finding): Finding => {
    const peer = NETWORK_KINDS.has(f.kind) ? /^(.*):(\d+)\/([^/]+)$/.exec(f.subject) : null;
    const subject = peer ? `${r.address(peer[1])}:${peer[2]}/${peer[3]}` : r.text(f.subject);
    const out = mapStrings(f, text) as Finding;
    return { ...out, id: findingId(fn, f.kind, subject), subject };
  };
  const redactTags = (tags: Record<string, string>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) define(out, k, typeof v === 'string' ? r.tagValue(v) : v);
    return out;
  };
  // Field by field, in the report's own order (a redacted report reads like the original).
  const redactFunction = (f: FunctionReport): FunctionReport => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(f)) {
      define(
        out,
        text(key),
        key === 'name'
          ? f.name
          : key === 'peers'
            ? f.peers.map(redactPeer)
            : key === 'findings'
              ? f.findings.map((x) => redactFinding(f.name, x))
              : key === 'enis'
                ? f.enis.map((e) => ({ ...(mapStrings(e, text) as typeof e), privateIp: r.address(e.privateIp) }))
                : key === 'tags' && f.tags
                  ? redactTags(f.tags)
                  : mapStrings(value, text),
      );
    }
    return out as unknown as FunctionReport;
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(report)) {
    define(
      out,
      key,
      key === 'accountId' ? accountId : key === 'functions' ? report.functions.map(redactFunction) : mapStrings(value, text),
    );
  }
  return out as unknown as ScanReport;
}
