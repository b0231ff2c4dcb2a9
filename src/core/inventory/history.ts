// The ENI ↔ address ↔ functions mapping over time, so an address reused by another ENI later is attributed by time.
import type { EpochMs, NetworkInterface } from '../model';
import type { LambdaEni } from './enis';

/** One address held by one ENI for a span of time. */
export interface AddressSpan {
  address: string;
  eniId: string;
  /** What the ENI is, for naming a peer: see `describeResource`. */
  eni: NetworkInterface;
  /** Functions served, when it is a Lambda ENI. */
  functions: string[];
  from: EpochMs;
  /** Exclusive; Infinity while the ENI is still there. */
  to: EpochMs;
}

export interface EniHistoryJson {
  formatVersion: 1;
  spans: Array<Omit<AddressSpan, 'to'> & { to: EpochMs | null }>;
}

export class EniHistory {
  private readonly byAddress = new Map<string, AddressSpan[]>();

  /**
   * Records what an inventory snapshot taken at `at` shows. Addresses still held by the same ENI extend
   * their span; addresses that moved to another ENI, or ENIs that are gone, close theirs at `at`.
   */
  observe(at: EpochMs, enis: readonly NetworkInterface[], lambdaEnis: readonly LambdaEni[]): void {
    const functionsOf = new Map(lambdaEnis.map((l) => [l.eni.id, l.functions]));
    const seen = new Set<string>();
    for (const eni of enis) {
      for (const address of [...eni.privateIps, ...eni.ipv6Ips, ...(eni.publicIp ? [eni.publicIp] : [])]) {
        seen.add(`${eni.id} ${address}`);
        const spans = this.spans(address);
        const open = spans.find((s) => s.to === Infinity);
        const functions = functionsOf.get(eni.id) ?? [];
        if (open && open.eniId === eni.id) {
          open.eni = eni;
          open.functions = functions;
          continue;
        }
        const from = eni.since !== undefined ? Math.min(eni.since, at) : open ? at : -Infinity;
        if (open) open.to = Math.max(open.from, from);
        spans.push({ address, eniId: eni.id, eni, functions, from, to: Infinity });
      }
    }
    for (const spans of this.byAddress.values()) {
      for (const s of spans) if (s.to === Infinity && !seen.has(`${s.eniId} ${s.address}`)) s.to = at;
    }
  }

  /**
   * Adds what CloudTrail tells of an ENI's life: one history, whichever source saw the ENI first. A span already held
   * for the same ENI and address is kept, its start moved back to the creation and, once the ENI is gone, its end set
   * to the deletion (an inventory closes a span only when a later scan no longer sees the ENI); its functions are filled
   * in when it had none. An address reused later by another ENI stays that ENI's from then on (`at` takes the newest).
   */
  recordLifetime(eni: NetworkInterface, functions: readonly string[], created: EpochMs | undefined, deleted: EpochMs | undefined): void {
    for (const address of [...eni.privateIps, ...eni.ipv6Ips]) {
      const spans = this.spans(address);
      const same = spans.find((s) => s.eniId === eni.id);
      if (!same) {
        spans.push({ address, eniId: eni.id, eni, functions: [...functions], from: created ?? -Infinity, to: deleted ?? Infinity });
        continue;
      }
      if (created !== undefined && (same.from === -Infinity || created < same.from)) same.from = created;
      // EC2 listing the ENI now outweighs a deletion event: it still exists.
      if (deleted !== undefined && same.to !== Infinity) same.to = Math.max(same.from, deleted);
      if (same.functions.length === 0) same.functions = [...functions];
    }
  }

  /** Every span, of every address. */
  allSpans(): AddressSpan[] {
    return [...this.byAddress.values()].flat();
  }

  /** The span that held `address` at time `t`, if any. */
  at(address: string, t: EpochMs): AddressSpan | undefined {
    const spans = this.byAddress.get(address);
    if (!spans) return undefined;
    let best: AddressSpan | undefined;
    for (const s of spans) if (s.from <= t && t < s.to && (!best || s.from > best.from)) best = s;
    return best;
  }

  /** Every span an address has had, oldest first. */
  history(address: string): readonly AddressSpan[] {
    return [...(this.byAddress.get(address) ?? [])].sort((a, b) => a.from - b.from);
  }

  toJSON(): EniHistoryJson {
    const spans = [...this.byAddress.values()].flat().map((s) => ({ ...s, to: s.to === Infinity ? null : s.to }));
    return { formatVersion: 1, spans: spans.map((s) => ({ ...s, from: s.from === -Infinity ? 0 : s.from })) };
  }

  static fromJSON(json: EniHistoryJson): EniHistory {
    const h = new EniHistory();
    for (const s of json.spans) h.spans(s.address).push({ ...s, to: s.to === null ? Infinity : s.to });
    return h;
  }

  private spans(address: string): AddressSpan[] {
    let spans = this.byAddress.get(address);
    if (!spans) this.byAddress.set(address, (spans = []));
    return spans;
  }
}
