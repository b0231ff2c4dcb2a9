// AWS-derived text made fit for one-line UI strings (diagnostic messages, CodeLens titles): no line breaks or control characters, length-capped.

export function oneLine(text: string | undefined, max = 300): string {
  const s = (text ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
