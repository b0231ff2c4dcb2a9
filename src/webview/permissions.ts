// The behaviour diff's Permissions section: used, unused and denied actions and the least-privilege proposal, from the host's data (every account string inserted as text).
import { formatCount } from '../report/format';
import type { DiffViewModel, PermissionsView } from '../shared/protocol';
import { h, textOf } from './dom';

/** Unused actions named per pattern; the count says how many there are in all. */
const UNUSED_SHOWN = 6;

function list(id: string, title: string, items: Node[], empty: string): Node {
  return h(
    'div',
    { class: 'permissions-list', 'data-list': id },
    h('h3', undefined, `${title} (${formatCount(items.length)})`),
    items.length ? h('ul', undefined, ...items) : h('p', { class: 'muted' }, empty),
  );
}

function codeList(values: readonly string[]): Node {
  return h('span', undefined, ...values.flatMap((v, i) => [i ? ', ' : '', h('code', undefined, textOf(v, 200))]));
}

function renderBody(p: PermissionsView): Node[] {
  const who = p.roleFunctions.length > 1 ? ` (shared by ${p.roleFunctions.join(', ')}: judged on what all of them used)` : '';
  const nodes: Node[] = [h('p', { class: 'muted' }, 'Role ', h('code', undefined, textOf(p.roleName ?? '(none)', 200)), textOf(who, 600))];
  if (p.failure) {
    nodes.push(h('p', { class: 'notice', role: 'status' }, textOf(`The role's policies could not be read: ${p.failure}`, 600)));
    return nodes;
  }
  nodes.push(
    list(
      'used',
      'Used',
      p.used.map((u) =>
        h(
          'li',
          { 'data-action': u.action },
          h('code', undefined, textOf(u.action, 200)),
          textOf(
            `${u.byLambdaService ? ' [Lambda service]' : ''}${u.newInDetection ? ' [new in the detection window]' : ''}: ${u.verdict}`,
            300,
          ),
          u.grantedBy.length ? textOf(` by ${u.grantedBy.join(', ')}`, 600) : null,
        ),
      ),
      'No AWS call of the code was seen.',
    ),
    list(
      'unused',
      'Granted, never used',
      p.unused.map((g) => {
        const more = g.unusedCount > UNUSED_SHOWN ? `, … (${formatCount(g.unusedCount)} in all)` : '';
        return h(
          'li',
          { 'data-pattern': g.pattern },
          h('code', undefined, textOf(g.pattern, 300)),
          textOf(` (${g.statement}${g.conditional ? ', conditional' : ''}): `, 400),
          codeList(g.unused.slice(0, UNUSED_SHOWN)),
          more,
        );
      }),
      'Every granted action was used.',
    ),
    list(
      'denied',
      'Denied',
      p.denied.map((d) => h('li', { 'data-action': d.action }, h('code', undefined, textOf(d.action, 200)), textOf(`: ${d.why}`, 600))),
      'No call was denied.',
    ),
    list(
      'proposal',
      'Proposed policy',
      p.proposal.statements.map((s) =>
        h(
          'li',
          { 'data-sid': s.sid },
          h('strong', undefined, textOf(s.sid, 200)),
          ` (${s.basis}): `,
          codeList(s.actions),
          ' on ',
          codeList(s.resources),
        ),
      ),
      'No statement: nothing was used.',
    ),
  );
  if (p.target) nodes.push(h('p', { class: 'muted' }, textOf(p.target, 600)));
  if (p.proposal.notes.length) {
    nodes.push(
      h(
        'details',
        undefined,
        h('summary', undefined, `Notes (${formatCount(p.proposal.notes.length)})`),
        h('ul', undefined, ...p.proposal.notes.map((n) => h('li', undefined, textOf(n, 1000)))),
      ),
    );
  }
  return nodes;
}

/** The section, or nothing until the host has judged the function's permissions (Propose Least Privilege). */
export function renderPermissions(view: DiffViewModel): Node {
  if (!view.permissions) return document.createDocumentFragment();
  return h(
    'section',
    { id: 'permissions', 'aria-labelledby': 'permissions-heading' },
    h('h2', { id: 'permissions-heading' }, 'Permissions'),
    ...renderBody(view.permissions),
  );
}
