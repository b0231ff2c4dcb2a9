// The messages between a replay scan's worker thread and the thread that started it (who sends each is said).
import type { AcceptedBehaviour } from '../core/accepted';
import type { IgnoreRules } from '../core/ignore';
import type { EniHistoryJson } from '../core/inventory/history';
import type { EpochMs, LambdaFunction } from '../core/model';

/** The scan options that are data (the signal, logger and progress callback cross as messages instead). */
export interface ScanDataOptions {
  now?: EpochMs;
  baselineDays?: number;
  detectHours?: number;
  functions?: string[];
  ignore?: IgnoreRules;
  accepted?: AcceptedBehaviour;
}

/** Given to the worker at its start (its workerData): what to open and how to scan it. */
export interface ScanWorkerData {
  /** A scan (the default), or only the account's function list (a pick before the first scan). */
  task?: 'scan' | 'list-functions';
  /** The scenario directory and the label its source reports. */
  dir: string;
  label: string;
  /** Flow-log parsing threads the worker may start in turn (undefined: one per core). */
  flowThreads?: number;
  options: ScanDataOptions;
  /** The account's ENI history so far; the worker sends it back with this scan's inventory added. */
  history?: EniHistoryJson;
  /** JSON characters per batch of the report's functions (default 256 KiB; tests: small, to cross several batches). */
  batchChars?: number;
}

/** An error as it crosses threads: enough to rebuild the engine's own kinds (a bad scenario is an InputError). */
export interface CrossedError {
  name: string;
  message: string;
  stack?: string;
  /** A SourceError's kind and missing IAM action. */
  sourceKind?: string;
  iamAction?: string;
}

/** Sent by the worker. */
export type ScanWorkerReply =
  | { type: 'progress'; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; message: string }
  /**
   * The report as JSON: the report without its functions, and its functions in batches (each a JSON array, UTF-8, its
   * buffer transferred) that the receiving thread decodes and parses one event-loop turn at a time; the ENI history as
   * it is (spans with infinite ends, which JSON would not keep; a few hundred ENIs). A 1,000-function report received as one object (or as strings, which are copied on receipt all at once)
   * takes the receiving thread well over 50 ms in one turn.
   */
  | { type: 'report'; head: string; functionBatches: Uint8Array[]; history: EniHistoryJson }
  | { type: 'functions'; functions: LambdaFunction[] }
  | { type: 'error'; error: CrossedError };
