// The tree's nodes: each wraps one engine report object (or a row of the report view model) and knows its stable id.
import type { EniReport, Finding, FunctionReport, ScanReport } from '../../core/model';
import type { ApiDiffRow, PeerDiffRow } from '../../report/view-model';

// Nodes are told apart by `kind`, not by class: the extension-host tests hold their own bundled copy of these classes.

/** The root: the open account (demo, scenario or profile + region) and its account id, over its functions. */
export class ConnectionNode {
  readonly kind = 'connection';
  constructor(
    readonly label: string,
    readonly report: ScanReport,
    readonly scannedAt: number | undefined,
  ) {}
  get id(): string {
    return `connection/${this.report.accountId}/${this.report.region}`;
  }
}

/**
 * Under a live account, after its functions: what the last scan read from AWS (its cost line) and what the cache of
 * closed hours holds for the account. `summary` is undefined while the cache has not been listed, or holds nothing.
 */
export class CacheNode {
  readonly kind = 'cache';
  constructor(
    readonly report: ScanReport,
    readonly state: AccountCacheState,
  ) {}
  get id(): string {
    return `cache/${this.report.accountId}/${this.report.region}`;
  }
}

/** The cache as the tree shows it for one account: whether live scans use it, where it is, and what it holds. */
export interface AccountCacheState {
  enabled: boolean;
  location: string;
  summary?: { hours: number; bytes: number; oldest?: number; newest?: number };
}

/**
 * Functions without findings, when there are many: under one collapsed node after the functions with findings, and
 * within it in ranges by name (`range` set), as the debugger pages a long array. `functions` are this node's, in order.
 */
export class FunctionListNode {
  readonly kind = 'functions';
  constructor(
    readonly report: ScanReport,
    readonly functions: readonly FunctionReport[],
    readonly range?: number,
  ) {}
  get id(): string {
    return `functions/${this.report.accountId}/${this.report.region}/clean${this.range === undefined ? '' : `/${this.range}`}`;
  }
}

export class FunctionNode {
  readonly kind = 'function';
  constructor(readonly fn: FunctionReport) {}
  get id(): string {
    return `function/${this.fn.arn}`;
  }
}

export type GroupKind = 'alerts' | 'peers' | 'apiCalls' | 'enis';

export class GroupNode {
  readonly kind = 'group';
  constructor(
    readonly fn: FunctionReport,
    readonly group: GroupKind,
  ) {}
  get id(): string {
    return `${this.group}/${this.fn.arn}`;
  }
}

export class FindingNode {
  readonly kind = 'finding';
  constructor(
    readonly fn: FunctionReport,
    readonly finding: Finding,
  ) {}
  get id(): string {
    // The engine's finding id is already function + kind + subject.
    return `finding/${this.fn.arn}/${this.finding.id}`;
  }
}

export class PeerNode {
  readonly kind = 'peer';
  constructor(
    readonly fn: FunctionReport,
    readonly row: PeerDiffRow,
  ) {}
  get id(): string {
    return `peer/${this.fn.arn}/${this.row.subject}`;
  }
}

export class ApiCallNode {
  readonly kind = 'apiCall';
  constructor(
    readonly fn: FunctionReport,
    readonly row: ApiDiffRow,
  ) {}
  get id(): string {
    return `apiCall/${this.fn.arn}/${this.row.caller}/${this.row.subject}`;
  }
}

export class EniNode {
  readonly kind = 'eni';
  constructor(
    readonly fn: FunctionReport,
    readonly eni: EniReport,
  ) {}
  get id(): string {
    return `eni/${this.fn.arn}/${this.eni.id}`;
  }
}

export type FunctionsTreeNode =
  ConnectionNode | CacheNode | FunctionListNode | FunctionNode | GroupNode | FindingNode | PeerNode | ApiCallNode | EniNode;
