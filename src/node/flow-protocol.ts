// The messages between the flow-log parsing threads, the inflating thread, and the thread that hands out their work.
import type { MessagePort } from 'node:worker_threads';
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
  /**
   * Become the inflating thread: inflate the gzip file, cut it into pieces of whole lines of about `segmentBytes`, and hand
   * them to the parsing threads through `ports` (one each, never through the thread that asked: its heap may be large, and
   * every buffer it took in would count towards its next garbage collection). Answers with one InflateReply at the end.
   */
  | { type: 'inflate'; file: string; segmentBytes: number; ports: MessagePort[] }
  /** Parse the pieces the inflating thread sends on `port` (InflatedPiece), each answered with a FedPieceReply. */
  | { type: 'fed'; port: MessagePort; source: string; logFormat?: string }
  /**
   * Gzip text objects of a flow log delivered to S3, a few small ones together (one message, one reply, for all): the
   * thread inflates each, takes its header line, and parses it by the format that names. Answered with `results`.
   */
  | { type: 'objects'; id: number; logFormat?: string; objects: FlowObject[] };

/**
 * One gzip text object of a flow log delivered to S3, for a thread to inflate and parse: a recorded file (its size), or
 * the bytes downloaded, transferred (`failed`: the download stopped early, why; the bytes that came are read).
 */
export type FlowObject = { kind: 'object'; source: string } & ({ file: string; size: number } | { bytes: ArrayBuffer; failed?: string });

/** What one piece gave: malformed examples are numbered from the piece's first line. */
export interface FlowPieceResult {
  /** Its numbers are transferred, not copied. */
  rows: CompactFlowRows;
  stats: FlowParseStats;
  otherInterfaces: Array<[string, number]>;
  /** Newlines in the piece: where the next piece's line numbers start. */
  lines: number;
  /** An object: the LogFormat its header line names (absent when it has none, and it was read by the flow log's own). */
  logFormat?: string;
  /** An object: why reading it stopped early (truncated, corrupt, its download failed); what came before is in the rows. */
  stoppedEarly?: string;
}

/** Sent by a parsing thread, one per piece. */
export type FlowWorkerReply =
  | { id: number; result: FlowPieceResult }
  /** Objects: a result each, in their order. */
  | { id: number; results: FlowPieceResult[] }
  | { id: number; error: string };

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

/**
 * To the inflating thread (src/node/inflate-worker.ts): inflate the gzip file into `buffers` buffers of `bufferBytes` of its
 * own, each filled whole but the last and transferred with a TextReply; each comes back with `refill` to be filled again.
 */
export type InflateBackRequest =
  { type: 'inflate-back'; file: string; bufferBytes: number; buffers: number } | { type: 'refill'; buffer: ArrayBuffer };

/** From the inflating thread: a buffer with `length` bytes of text; then once, the end and why it came early. */
export type TextReply = { type: 'text'; buffer: ArrayBuffer; length: number } | { type: 'text-end'; stoppedEarly?: string };
