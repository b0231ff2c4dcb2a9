// Number and time formatting shared by the renderers, fixed to one locale so output is reproducible.

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** `12,345`; a dash for values that are missing or not finite (a report read from a file may hold anything). */
export function formatCount(n: unknown): string {
  return typeof n === 'number' && Number.isFinite(n) ? COUNT.format(n) : '-';
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-';
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${BYTE_UNITS[unit]}`;
}

/**
 * `2026-11-22 14:05Z` from an ISO string: minutes are the finest grain worth reading in a report.
 * A string that does not parse is returned unchanged, for the caller to sanitise or escape as usual.
 */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
