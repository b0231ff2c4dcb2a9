// Source text with comments and string contents blanked out (same length, same line breaks), so that patterns only match code.

export type SourceLanguage = 'javascript' | 'typescript' | 'python';

/** The language of a file by its extension; undefined for anything this code cannot read. */
export function languageOfPath(path: string): SourceLanguage | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  switch (ext) {
    case 'ts':
    case 'mts':
    case 'cts':
    case 'tsx':
      return 'typescript';
    case 'js':
    case 'mjs':
    case 'cjs':
    case 'jsx':
      return 'javascript';
    case 'py':
      return 'python';
    default:
      return undefined;
  }
}

/**
 * Comments become spaces; a string keeps its quotes and its contents become spaces (a template literal's `${...}`
 * stays code). Line breaks are kept everywhere, so offsets, lines and columns are those of the original text.
 * Malformed input (an unclosed string or comment) blanks to the end of the line or file; it never throws.
 */
export function maskCode(text: string, language: SourceLanguage): string {
  return language === 'python' ? maskPython(text) : maskJs(text);
}

const blank = (c: string) => (c === '\n' || c === '\r' ? c : ' ');

const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
  'instanceof',
]);

function maskJs(text: string): string {
  const out: string[] = new Array(text.length);
  const n = text.length;
  // Brace depth of each open `${` in a template literal: at its closing brace the template resumes.
  const templateStack: number[] = [];
  let depth = 0;
  let i = 0;

  const scanTemplate = (): void => {
    // At the character after an opening backtick or after the `}` that closes a `${...}`.
    while (i < n) {
      const c = text[i];
      if (c === '\\') {
        out[i] = ' ';
        if (i + 1 < n) out[i + 1] = blank(text[i + 1]);
        i += 2;
      } else if (c === '`') {
        out[i] = '`';
        i++;
        return;
      } else if (c === '$' && text[i + 1] === '{') {
        out[i] = '$';
        out[i + 1] = '{';
        i += 2;
        templateStack.push(depth);
        depth = 0;
        return;
      } else {
        out[i] = blank(c);
        i++;
      }
    }
  };

  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) out[i] = blank(text[i]);
    } else if (c === '"' || c === "'") {
      out[i++] = c;
      while (i < n && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\' && i + 1 < n) {
          out[i] = ' ';
          out[i + 1] = blank(text[i + 1]);
          i += 2;
        } else {
          out[i] = ' ';
          i++;
        }
      }
      // The closing quote, or the line break that ends an unclosed string.
      if (i < n) {
        out[i] = text[i];
        i++;
      }
    } else if (c === '`') {
      out[i++] = '`';
      scanTemplate();
    } else if (c === '/' && regexMayStart(out, i)) {
      out[i++] = '/';
      let inClass = false;
      while (i < n && text[i] !== '\n') {
        const r = text[i];
        if (r === '\\' && i + 1 < n && text[i + 1] !== '\n') {
          out[i] = ' ';
          out[i + 1] = ' ';
          i += 2;
          continue;
        }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        out[i++] = ' ';
      }
      if (i < n && text[i] === '/') out[i++] = '/';
    } else if (c === '{') {
      depth++;
      out[i++] = c;
    } else if (c === '}') {
      out[i++] = c;
      if (depth === 0 && templateStack.length > 0) {
        depth = templateStack.pop() as number;
        scanTemplate();
      } else if (depth > 0) {
        depth--;
      }
    } else {
      out[i] = c;
      i++;
    }
  }
  return out.join('');
}

/** A `/` starts a regular expression literal unless it follows a value (an identifier, a number, `)` or `]`). */
function regexMayStart(out: string[], at: number): boolean {
  let j = at - 1;
  while (j >= 0 && (out[j] === ' ' || out[j] === '\t' || out[j] === '\n' || out[j] === '\r')) j--;
  if (j < 0) return true;
  const p = out[j];
  if (/[\w$]/.test(p)) {
    let k = j;
    while (k >= 0 && /[\w$]/.test(out[k])) k--;
    return REGEX_AFTER_WORDS.has(out.slice(k + 1, j + 1).join(''));
  }
  return !(p === ')' || p === ']' || p === '}' || p === '"' || p === "'" || p === '`');
}

function maskPython(text: string): string {
  const out: string[] = new Array(text.length);
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === '#') {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
    } else if (c === '"' || c === "'") {
      const triple = text[i + 1] === c && text[i + 2] === c;
      const quote = triple ? c + c + c : c;
      for (let q = 0; q < quote.length; q++) out[i + q] = c;
      i += quote.length;
      while (i < n) {
        if (text[i] === '\\' && i + 1 < n) {
          out[i] = ' ';
          out[i + 1] = blank(text[i + 1]);
          i += 2;
        } else if (text.startsWith(quote, i)) {
          for (let q = 0; q < quote.length; q++) out[i + q] = c;
          i += quote.length;
          break;
        } else if (!triple && text[i] === '\n') {
          break; // an unclosed one-line string ends at the line break
        } else {
          out[i] = blank(text[i]);
          i++;
        }
      }
    } else {
      out[i] = c;
      i++;
    }
  }
  return out.join('');
}

/** Offsets of line starts, for turning offsets into 1-based lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  /** 1-based line and 1-based column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}
