// The messages between the parsing threads (flow-log pieces, a recorded scenario's JSON) and the thread that hands out their work.
import type { MessagePort } from 'node:worker_threads';
import type { AggregatorEni, CompactFlowRows, FlowParseStats } from '../core/flowlog/aggregate';
import type { EpochMs, MetricSeries } from '../core/model';
import type { LocalParseRequest } from '../core/ports';
import type { ScenarioData, ScenarioPart } from '../replay/scenario';
import type { FlatRecords } from './flat-records';

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
  /**
   * Become the inflating thread: inflate the gzip file, cut it into pieces of whole lines of about `segmentBytes`, and hand
   * them to the parsing threads through `ports` (one each, never through the thread that asked: its heap may be large, and
   * every buffer it took in would count towards its next garbage collection). Answers with one InflateReply at the end.
   */
  | { type: 'inflate'; file: string; segmentBytes: number; ports: MessagePort[] }
  /** Parse the pieces the inflating thread sends on `port` (InflatedPiece), each answered with a FedPieceReply. */
  | { type: 'fed'; port: MessagePort; source: string; logFormat?: string }
  /** Parts of a recorded scenario to read and check, in this order: the thread answers with ScenarioReply messages. */
  | { type: 'scenario'; dir: string; parts: ScenarioPart[] }
  /** A scenario slice was taken in: the thread may send another. */
  | { type: 'slice-taken' };

/** What one piece gave: malformed examples are numbered from the piece's first line. */
export interface FlowPieceResult {
  /** Its numbers are transferred, not copied. */
  rows: CompactFlowRows;
  stats: FlowParseStats;
  otherInterfaces: Array<[string, number]>;
  /** Newlines in the piece: where the next piece's line numbers start. */
  lines: number;
}

/** Sent by a parsing thread, one per piece. */
export type FlowWorkerReply = { id: number; result: FlowPieceResult } | { id: number; error: string };

/** From the inflating thread to a parsing thread: whole lines, transferred; the buffer is sent back on the port once parsed. */
export interface InflatedPiece {
  piece: number;
  buffer: ArrayBuffer;
  length: number;
}

/** From a parsing thread fed by the inflating one, one per piece, numbered in the file's order. */
export type FedPieceReply = { piece: number; result: FlowPieceResult } | { piece: number; error: string };

/** From the inflating thread, once: how many pieces it sent, and why it stopped early (a truncated or corrupt file). */
export type InflateReply = { type: 'inflated'; pieces: number; stoppedEarly?: string } | { type: 'inflate-failed'; error: string };

/** The lists of a scenario part sent in slices: no single message takes the receiving thread long to take in. */
export type ScenarioSliced = 'events' | 'metrics';

/** Sent by a thread reading scenario parts: the slices of a part's long lists, then the rest of it (or why it failed). */
export type ScenarioReply =
  /** Trail events flattened: their many repeated strings (user agents, ARNs, sources) sent once a slice. */
  | { type: 'slice'; part: ScenarioPart; key: 'events'; flat: FlatRecords }
  /** Metric series without their points, and the points as [t, v, t, v, ...] (transferred): millions of {t, v} objects clone slowly. */
  | {
      type: 'slice';
      part: ScenarioPart;
      key: 'metrics';
      series: Array<Omit<MetricSeries, 'points'>>;
      counts: Uint32Array;
      points: Float64Array;
    }
  | { type: 'part'; part: ScenarioPart; data: Omit<Partial<ScenarioData>, ScenarioSliced> }
  | { type: 'error'; part: ScenarioPart; name: string; message: string };
