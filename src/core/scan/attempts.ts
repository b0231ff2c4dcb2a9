// The scan's bookkeeping of its sources: which calls failed and why, and the warnings the report carries.
import { sourceFailureText } from '../coverage';
import { SourceError, type Logger, type SourceErrorKind } from '../ports';

/** The source calls the scan may go on without, by the name their failures are recorded (and warned) under. */
export const SOURCE_CALLS = {
  networkInterfaces: 'ec2:DescribeNetworkInterfaces',
  flowLogs: 'ec2:DescribeFlowLogs',
  ipRanges: 'ip-ranges',
  cloudTrail: 'cloudtrail:LookupEvents',
  /** The same IAM action, asked for management events by name: lookups apart, so that coverage can say which failed. */
  eniEvents: 'cloudtrail:LookupEvents (ENI history)',
  functionChanges: 'cloudtrail:LookupEvents (function changes)',
  metrics: 'cloudwatch:GetMetricData',
} as const;

/** The name a failure to read one flow log is recorded under. */
export function flowLogCall(flowLogId: string): string {
  return `flow log ${flowLogId}`;
}

/** A source call that failed: what coverage needs to say so, as data and in words. */
export interface SourceFailure {
  kind: SourceErrorKind;
  iamAction?: string;
  /** As warnings and coverage word it: `access denied: needs cloudtrail:LookupEvents`, `throttled: ...`. */
  text: string;
}

export class SourceAttempts {
  /** The report's warnings, in the order they arose. */
  readonly warnings: string[] = [];
  private readonly failures = new Map<string, SourceFailure>();

  constructor(
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  /**
   * Runs one source call. A SourceError records `what` as failed and resolves undefined, so the scan goes on with
   * the other sources; any other error, and a cancellation, rejects.
   */
  async attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    this.signal.throwIfAborted();
    try {
      const value = await call();
      this.signal.throwIfAborted();
      return value;
    } catch (err) {
      this.signal.throwIfAborted();
      if (!SourceError.is(err)) throw err;
      const failure: SourceFailure = {
        kind: err.kind,
        ...(err.iamAction ? { iamAction: err.iamAction } : {}),
        text: sourceFailureText(err),
      };
      this.failures.set(what, failure);
      this.warn(`${what}: ${failure.text}`);
      this.log.warn(`[scan] ${what}: ${failure.text}`);
      if (err.cause !== undefined) this.log.debug?.(`[scan] ${what}: caused by ${describeCause(err.cause)}`);
      return undefined;
    }
  }

  /** Why `what` failed, if it did. */
  failureOf(what: string): SourceFailure | undefined {
    return this.failures.get(what);
  }

  warn(warning: string): void {
    this.warnings.push(warning);
  }

  /** What the source worked around: each said once, however often the source repeats it. */
  addNotices(notices: readonly string[]): void {
    for (const n of notices) if (!this.warnings.includes(n)) this.warnings.push(n);
  }
}

/**
 * The cause of a failure for the debug log: its name, HTTP status and request id (what AWS support asks for), never its
 * message or its other fields, which may quote a request.
 */
function describeCause(cause: unknown): string {
  if (typeof cause !== 'object' || cause === null) return typeof cause;
  const c = cause as { name?: unknown; $metadata?: { httpStatusCode?: unknown; requestId?: unknown } };
  const name = typeof c.name === 'string' ? token(c.name) : 'error';
  const status = typeof c.$metadata?.httpStatusCode === 'number' ? `, HTTP ${c.$metadata.httpStatusCode}` : '';
  const request = typeof c.$metadata?.requestId === 'string' ? `, request id ${token(c.$metadata.requestId)}` : '';
  return `${name}${status}${request}`;
}

/** An identifier as the endpoint sent it, kept to identifier characters: it is not ours to trust. */
function token(text: string): string {
  return text.replace(/[^\w.:/-]/g, '?').slice(0, 120);
}
