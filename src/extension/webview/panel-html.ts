// The behaviour-diff webview's HTML shell: a strict CSP, a nonce'd script, and no report data (that arrives by postMessage after "ready").
import { randomBytes } from 'node:crypto';

export interface PanelHtmlParts {
  /** `webview.cspSource`: the origin VS Code serves localResourceRoots from. */
  cspSource: string;
  /** `webview.asWebviewUri(dist/webview.js)` and `dist/webview.css`, as strings. */
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

/** 128 random bits from the OS, base64: a nonce a page cannot guess (never Math.random). */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Nothing but our own script (by nonce) and our own stylesheet (from the built assets) may load;
 * images only from there or data: URIs; no inline script or style, no frames, no fetches, no remote anything.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource} data:`;
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function panelHtml(parts: PanelHtmlParts): string {
  const csp = contentSecurityPolicy(parts.cspSource, parts.nonce);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<link rel="stylesheet" href="${attr(parts.styleUri)}">`,
    '<title>Behaviour diff</title>',
    '</head>',
    '<body>',
    '<main id="app" aria-busy="true"><p>Loading the behaviour diff…</p></main>',
    `<script id="lb-main" nonce="${attr(parts.nonce)}" src="${attr(parts.scriptUri)}"></script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
