// The Permissions section's data: a function's judged permissions as the diff webview's plain view, kept per scan for the panel to show (pure: no vscode).
import type { ScanReport } from '../../core/model';
import type { FunctionPermissions, Verdict } from '../../permissions/model';
import { statementText } from '../../permissions/text';
import type { PermissionsView } from '../../shared/protocol';

/** As the permissions command's text words them (src/permissions/text.ts keeps its table private). */
const VERDICT_WORDS: Record<Verdict, string> = {
  allowed: 'allowed',
  'allowed-if-conditions': 'allowed if conditions hold (not evaluated)',
  denied: 'explicitly denied',
  'not-granted': 'not granted',
};

export function permissionsView(p: FunctionPermissions, target?: string): PermissionsView {
  const denied = p.used.filter((u) => u.deniedInTrail || u.verdict === 'denied' || u.verdict === 'not-granted');
  return {
    ...(p.roleName ? { roleName: p.roleName } : {}),
    roleFunctions: [...p.roleFunctions],
    ...(p.roleFailure ? { failure: p.roleFailure.message } : {}),
    used: p.used
      .filter((u) => !u.deniedInTrail)
      .map((u) => ({
        action: u.action,
        verdict: VERDICT_WORDS[u.verdict],
        grantedBy: u.grantedBy.map(statementText),
        newInDetection: u.newInDetection,
        byLambdaService: u.caller === 'lambda-service',
      })),
    unused: p.unused.map((g) => ({
      pattern: g.pattern,
      statement: statementText(g.statement),
      unusedCount: g.unusedCount,
      unused: [...g.unused],
      conditional: g.conditional,
    })),
    denied: denied.map((u) => ({
      action: u.action,
      why: `${u.deniedInTrail ? 'denied when called' : 'called'}; policies: ${VERDICT_WORDS[u.verdict]}${u.deniedBy.length ? ` by ${u.deniedBy.map(statementText).join(', ')}` : ''}`,
    })),
    proposal: {
      statements: p.proposal.statements.map((s) => ({ sid: s.sid, basis: s.basis, actions: [...s.actions], resources: [...s.resources] })),
      notes: [...p.proposal.notes, ...p.notes],
    },
    ...(target ? { target } : {}),
  };
}

/** The same scan (a refresh re-applies rules to it but keeps its account and window): its permissions still hold. */
function scanKey(report: Pick<ScanReport, 'accountId' | 'region' | 'window'>): string {
  return `${report.accountId}|${report.region}|${report.window.baselineStart}|${report.window.detectEnd}`;
}

type Listener = (functionNames: readonly string[]) => void;

/** The views of the functions analysed in this window, for the scan they were judged on. */
class PermissionsViews {
  private key: string | undefined;
  private readonly views = new Map<string, PermissionsView>();
  private readonly listeners = new Set<Listener>();

  /** Keeps the view for every function on the role (they share it), and tells the listeners. */
  remember(report: ScanReport, view: PermissionsView): void {
    const key = scanKey(report);
    if (key !== this.key) {
      this.key = key;
      this.views.clear();
    }
    for (const name of view.roleFunctions) this.views.set(name, view);
    for (const l of this.listeners) l(view.roleFunctions);
  }

  get(report: ScanReport, functionName: string): PermissionsView | undefined {
    return scanKey(report) === this.key ? this.views.get(functionName) : undefined;
  }

  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

export const permissionsViews = new PermissionsViews();
