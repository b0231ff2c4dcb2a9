// AWS-derived text made fit for one-line UI strings (diagnostic messages, CodeLens titles): no line breaks or control characters, bidi controls visible, length-capped.
import { showBidiControls } from '../../report/escape';

export function oneLine(text: string | undefined, max = 300): string {
  const s = showBidiControls((text ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
  if (s.length <= max) return s;
  // Not between the halves of a surrogate pair.
  const cut = /[\uD800-\uDBFF]/.test(s.charAt(max - 2)) ? max - 2 : max - 1;
  return `${s.slice(0, cut)}…`;
}
