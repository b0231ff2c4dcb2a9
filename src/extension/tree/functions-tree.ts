// The Lambda Behavior tree: one node per scanned function (its findings as children), built from the session's last report.
import * as vscode from 'vscode';
import type { Finding, FunctionReport, Severity } from '../../core/model';
import { highestSeverity, orderFunctions, sortFindings } from '../../report/view-model';
import type { Session } from '../session';

// Nodes are told apart by `kind`, not by class: the extension-host tests hold their own bundled copy of these classes.
export class FunctionNode {
  readonly kind = 'function';
  constructor(readonly fn: FunctionReport) {}
}

export class FindingNode {
  readonly kind = 'finding';
  constructor(
    readonly fn: FunctionReport,
    readonly finding: Finding,
  ) {}
}

export type FunctionsTreeNode = FunctionNode | FindingNode;

export class FunctionsTreeProvider implements vscode.TreeDataProvider<FunctionsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FunctionsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly session: Session) {
    this.subscription = session.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: FunctionsTreeNode): FunctionsTreeNode[] {
    // The same order as the terminal and HTML reports.
    if (!node) return orderFunctions(this.session.report?.functions ?? []).map((fn) => new FunctionNode(fn));
    if (node.kind === 'function') return sortFindings(node.fn.findings).map((f) => new FindingNode(node.fn, f));
    return [];
  }

  getParent(node: FunctionsTreeNode): FunctionsTreeNode | undefined {
    return node.kind === 'finding' ? new FunctionNode(node.fn) : undefined;
  }

  getTreeItem(node: FunctionsTreeNode): vscode.TreeItem {
    if (node.kind === 'function') {
      const { fn } = node;
      const count = fn.findings.length;
      const item = new vscode.TreeItem(fn.name, count ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = `function/${fn.arn}`;
      item.description = findingCount(count);
      item.iconPath = severityIcon(highestSeverity(fn.findings));
      // Structured, so that menus can match `viewItem =~ /^function\b/` or `/findings=0/`.
      item.contextValue = `function;findings=${count}`;
      return item;
    }
    const { fn, finding } = node;
    const item = new vscode.TreeItem(finding.title, vscode.TreeItemCollapsibleState.None);
    item.id = `finding/${fn.arn}/${finding.id}`;
    item.description = finding.severity;
    item.iconPath = severityIcon(finding.severity);
    item.contextValue = `finding;severity=${finding.severity};kind=${finding.kind}`;
    return item;
  }

  /** Tooltips are built only when hovered. Every engine string goes in with appendText: AWS-derived text never renders as markdown or links. */
  resolveTreeItem(item: vscode.TreeItem, node: FunctionsTreeNode): vscode.TreeItem {
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.supportHtml = false;
    if (node.kind === 'function') {
      md.appendMarkdown('**').appendText(node.fn.name).appendMarkdown('**\n\n');
      if (node.fn.runtime) md.appendText(`${node.fn.runtime}${node.fn.inVpc ? ', in a VPC' : ''}`).appendMarkdown('\n\n');
      md.appendText(findingCount(node.fn.findings.length));
    } else {
      const { finding } = node;
      md.appendMarkdown('**').appendText(finding.title).appendMarkdown('**\n\n');
      md.appendText(`${finding.severity} · ${finding.kind} · ${finding.attribution} attribution`).appendMarkdown('\n\n');
      md.appendText(finding.detail);
      if (finding.recommendation) md.appendMarkdown('\n\n').appendText(finding.recommendation);
    }
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function findingCount(n: number): string {
  return n === 0 ? 'no findings' : n === 1 ? '1 finding' : `${n} findings`;
}

function severityIcon(severity: Severity | undefined): vscode.ThemeIcon {
  switch (severity) {
    case 'high': return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'medium': return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'low': return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
    default: return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  }
}
