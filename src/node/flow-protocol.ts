// The messages between the flow-log parsing threads and the thread that hands out their work (who sends each is said).
import type { AggregatorEni, CompactFlowRows, FlowParseStats } from '../core/flowlog/aggregate';
import type { EpochMs } from '../core/model';
import type { LocalParseRequest } from '../core/ports';

/** Sent once to each thread before any piece: what every piece is aggregated against. */
export interface FlowWorkerContext extends LocalParseRequest {
  enis: AggregatorEni[];
  range: { start: EpochMs; end: EpochMs };
  /** The ENIs the flow log covers (of `enis`): the others' records count as other interfaces. */
  covered: string[];
}

/** Sent by the handing-out thread. */
export type FlowWorkerRequest =
  | { type: 'context'; context: FlowWorkerContext }
  /** Bytes [start, end) of a plain file, cut at line starts: the thread reads them itself. */
  | { type: 'range'; id: number; source: string; logFormat?: string; file: string; start: number; end: number }
  /** Whole lines (the last of a stream may lack its newline), transferred, not copied; the buffer comes back with the result. */
  | { type: 'buffer'; id: number; source: string; logFormat?: string; buffer: ArrayBuffer; length: number };

/** What one piece gave: malformed examples are numbered from the piece's first line. */
export interface FlowPieceResult {
  /** Its numbers are transferred, not copied. */
  rows: CompactFlowRows;
  stats: FlowParseStats;
  otherInterfaces: Array<[string, number]>;
  /** Newlines in the piece: where the next piece's line numbers start. */
  lines: number;
  /** A buffer piece's buffer, given back (transferred) to be filled again: no new memory to fault in per piece. */
  buffer?: ArrayBuffer;
}

/** Sent by a parsing thread, one per piece. */
export type FlowWorkerReply = { id: number; result: FlowPieceResult } | { id: number; error: string };
