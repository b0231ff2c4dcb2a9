// A scan under way: its source, cancellation, progress and clock, the timing of each stage, and its sources' failures.
import type { EpochMs } from '../model';
import type { Logger, TelemetrySource } from '../ports';
import { SourceAttempts } from './attempts';

/** The stages whose wall time the report's stats give (`stats.stageMs`). */
export type StageName = 'inventory' | 'flowLogs' | 'cloudtrail' | 'metrics' | 'detect';

export type Clock = () => EpochMs;

export class ScanRun {
  readonly attempts: SourceAttempts;
  /** When the scan started, by its clock. */
  readonly started: EpochMs;
  /** Wall time of each stage run so far, by `StageName`. */
  readonly stageMs: Record<string, number> = {};
  private lapStart: EpochMs;

  constructor(
    readonly source: TelemetrySource,
    readonly signal: AbortSignal,
    readonly clock: Clock,
    readonly log: Logger,
    private readonly onProgress: (message: string) => void,
  ) {
    this.started = this.lapStart = clock();
    this.attempts = new SourceAttempts(signal, log);
  }

  /**
   * Runs one stage: says what it does, runs it, times it and takes the notices the source gathered meanwhile.
   * A cancellation stops the scan between stages whatever the stage did with the signal.
   */
  async stage<T>(name: StageName, message: string, work: () => Promise<T> | T): Promise<T> {
    this.progress(message);
    const result = await work();
    const now = this.clock();
    this.stageMs[name] = now - this.lapStart;
    this.lapStart = now;
    this.takeNotices();
    this.signal.throwIfAborted();
    return result;
  }

  /** The last word of progress, once every stage has run. */
  finish(message: string): void {
    this.progress(message);
    this.takeNotices();
  }

  /** A read the scan cannot go on without: its failure is the scan's. */
  async require<T>(read: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.signal.throwIfAborted();
    const value = await read(this.signal);
    this.signal.throwIfAborted();
    return value;
  }

  private progress(message: string): void {
    this.onProgress(message);
    this.signal.throwIfAborted();
  }

  private takeNotices(): void {
    this.attempts.addNotices(this.source.takeNotices?.() ?? []);
  }
}
