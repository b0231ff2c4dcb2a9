// Reads back what the page shows, from its own DOM, for the `rendered` message (tests and the log check the screen, not the model).
import type { RenderedSection, RenderedSummary } from '../shared/protocol';

/** Every tag the renderer creates; anything else in the page did not come from this code. */
const OURS = new Set([
  'main',
  'header',
  'section',
  'div',
  'p',
  'span',
  'strong',
  'code',
  'time',
  'br',
  'wbr',
  'h1',
  'h2',
  'h3',
  'ol',
  'ul',
  'li',
  'dl',
  'dt',
  'dd',
  'details',
  'summary',
  'button',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'svg',
  'title',
  'g',
  'line',
  'text',
  'polygon',
  'polyline',
  'circle',
]);

const SECTIONS: readonly RenderedSection[] = ['peers', 'api-calls', 'service-calls'];

function text(node: Element | null | undefined): string {
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function readRendered(seq: number, state: RenderedSummary['state'], functionName: string): RenderedSummary {
  const counts = Object.fromEntries(
    SECTIONS.map((s) => [s, { added: 0, removed: 0, unchanged: 0 } as Record<string, number>]),
  ) as RenderedSummary['counts'];
  const rows: RenderedSummary['rows'] = [];
  for (const section of SECTIONS) {
    for (const tr of document.querySelectorAll<HTMLTableRowElement>(`#${section} tr[data-status]`)) {
      const status = tr.dataset.status ?? '';
      counts[section][status] = (counts[section][status] ?? 0) + 1;
      rows.push({
        section,
        status,
        subject: tr.dataset.subject ?? '',
        revealable: tr.classList.contains('revealable'),
        cells: [...tr.cells].map((td) => text(td)),
      });
    }
  }
  const svg = document.querySelector('#chart svg');
  const chart: RenderedSummary['chart'] = svg
    ? {
        kind: 'svg',
        points: svg.querySelectorAll('circle.pt').length,
        bandSegments: svg.querySelectorAll('polygon.band').length,
        overBand: svg.querySelectorAll('circle.pt.over').length,
        legend: [...document.querySelectorAll('#chart .legend li')].map((li) => text(li)),
      }
    : { kind: 'none', text: text(document.getElementById('no-metrics')) };

  const unexpected: string[] = [];
  for (const el of document.body.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'script' ? el.id !== 'lb-main' : !OURS.has(tag)) unexpected.push(tag);
    else if ([...el.attributes].some((a) => a.name.toLowerCase().startsWith('on'))) unexpected.push(`${tag}[on*]`);
  }

  return {
    seq,
    state,
    title: text(document.getElementById('title')),
    functionName,
    findings: [...document.querySelectorAll<HTMLElement>('#findings [data-finding-id]')].map((li) => ({
      id: li.dataset.findingId ?? '',
      severity: li.dataset.severity ?? '',
      title: text(li.querySelector('.finding-title')),
    })),
    counts,
    rows,
    chart,
    coverageGaps: [...document.querySelectorAll('#coverage-gaps li')].map((li) => text(li)),
    unexpectedElements: unexpected,
  };
}
