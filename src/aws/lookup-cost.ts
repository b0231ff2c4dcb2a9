// The cost of paging LookupEvents, estimated from its first pages: said up front when a scan would spend minutes on it.
import type { TrailEvent } from '../core/model';

/** CloudTrail answers LookupEvents 2 requests a second per account and region. */
export const LOOKUP_REQUESTS_PER_SECOND = 2;
/** Pages of a session looked at before its total is estimated. */
const PAGES_BEFORE_ESTIMATE = 3;
/** Past this much paging the scan says so, and what to use instead. */
export const LOOKUP_WARN_AFTER_MS = 3 * 60_000;

/**
 * LookupEvents answers newest first: after a few pages of one session, the share of its range they reach back over
 * gives its page count; sessions not yet read are assumed to be like the ones read. Said once, when the estimate first
 * passes the threshold.
 */
export class LookupCostEstimator {
  private readonly estimated = new Map<string, number>();
  private current?: { session: string; pages: number; events: number; oldest: number };
  private said = false;

  constructor(
    private readonly sessions: readonly string[],
    private readonly range: { start: number; end: number },
    private readonly say: (message: string) => void,
    private readonly warnAfterMs = LOOKUP_WARN_AFTER_MS,
  ) {}

  /** One page of `session` read (LookupEvents says whether another follows only by sending it). */
  page(session: string, events: readonly TrailEvent[]): void {
    if (this.current?.session !== session) this.current = { session, pages: 0, events: 0, oldest: this.range.end };
    const c = this.current;
    c.pages++;
    c.events += events.length;
    for (const e of events) c.oldest = Math.min(c.oldest, e.eventTime);
    if (c.pages < PAGES_BEFORE_ESTIMATE) return;
    const reached = Math.max(1, this.range.end - Math.max(c.oldest, this.range.start));
    this.estimated.set(session, Math.max(c.pages, Math.ceil(c.pages * ((this.range.end - this.range.start) / reached))));
    this.check();
  }

  /** `session` has no more pages: its count is known. */
  end(session: string): void {
    this.estimated.set(session, this.current?.session === session ? this.current.pages : 0);
    this.check();
  }

  /** The whole scan's pages as now estimated. */
  totalPages(): number {
    const known = [...this.estimated.values()];
    if (known.length === 0) return 0;
    const mean = known.reduce((a, b) => a + b, 0) / known.length;
    return Math.round(known.reduce((a, b) => a + b, 0) + mean * Math.max(0, this.sessions.length - known.length));
  }

  private check(): void {
    if (this.said) return;
    const pages = this.totalPages();
    const ms = (pages / LOOKUP_REQUESTS_PER_SECOND) * 1000;
    if (ms <= this.warnAfterMs) return;
    this.said = true;
    const perPage = this.current && this.current.pages ? Math.round(this.current.events / this.current.pages) : 0;
    this.say(
      `CloudTrail LookupEvents will take about ${Math.round(ms / 60_000)} minutes (about ${pages} pages of up to 50 events, ${perPage} a page so far, ` +
        `at ${LOOKUP_REQUESTS_PER_SECOND} requests a second): a CloudTrail Lake event data store (--cloudtrail-lake EDS_ID) or an Athena table over ` +
        `the trail's bucket (--cloudtrail-athena DATABASE.TABLE) answers in one query`,
    );
  }
}
