// The only two ways a report string reaches a screen: sanitised for a terminal, or escaped for HTML.

/**
 * Bidirectional formatting characters (LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI), plus the
 * implicit marks LRM, RLM and ALM: in AWS-derived text they can only serve to make a string read
 * differently from what it is ("Trojan Source"), so both renderers make them visible instead.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

function bidiMarker(ch: string): string {
  return `[U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`;
}

/** Bidi controls shown as `[U+202E]`, the rest of the string as it is: for UI text that is not HTML or a terminal. */
export function showBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, bidiMarker);
}

/**
 * Terminal escape sequences, whole, so that their parameters do not survive as visible junk.
 * OSC (hyperlinks, window titles, clipboard writes) ends in BEL or ST, or runs to the end of the string
 * when unterminated; DCS, SOS, PM and APC strings end in ST; CSI ends in a final byte; the rest are
 * two-character escapes. C1 forms (0x9B CSI, 0x9D OSC, ...) are matched like their 7-bit twins.
 */
const ESCAPE_SEQUENCES = new RegExp(
  [
    '(?:\\x1b\\]|\\x9d)[\\s\\S]*?(?:\\x07|\\x1b\\\\|\\x9c|$)', // OSC
    '(?:\\x1b[PX^_]|[\\x90\\x98\\x9e\\x9f])[\\s\\S]*?(?:\\x1b\\\\|\\x9c|$)', // DCS, SOS, PM, APC
    '(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?', // CSI
    '\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?', // other ESC sequences (and a lone ESC)
  ].join('|'),
  'g',
);

export interface TerminalSanitizeOptions {
  /** Keep line feeds (for multi-line details); otherwise they become spaces. */
  allowNewline?: boolean;
}

/**
 * Makes a string from AWS (function names, tags, ENI descriptions, CloudTrail fields, ...) safe to
 * print: no escape sequences, no C0/C1 control characters (tab becomes a space, CR is dropped so a
 * line cannot be overwritten), bidi controls shown as `[U+202E]`, line and paragraph separators as
 * line breaks or spaces.
 */
export function sanitizeForTerminal(value: unknown, options: TerminalSanitizeOptions = {}): string {
  if (value === undefined || value === null) return '';
  const newline = options.allowNewline ? '\n' : ' ';
  return String(value)
    .replace(ESCAPE_SEQUENCES, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2028\u2029]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/\n/g, newline)
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, '')
    .replace(BIDI_CONTROLS, bidiMarker);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes any report value for HTML text and for quoted attribute values alike, so there is one
 * function to call everywhere. Control characters other than tab and line feed are dropped (they are
 * parse errors and have no business in a report); bidi controls are made visible as in the terminal.
 */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value)
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')
    .replace(/\r/g, '')
    .replace(BIDI_CONTROLS, bidiMarker)
    .replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] ?? ch);
}
