// Numbers and times in the chosen language. Times are shown in the browser's time zone.
import { locale } from './i18n';

/** A statistic or sensor value with about three significant digits. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(value: number): string {
  return value.toLocaleString(locale(), { style: 'percent', maximumFractionDigits: 0 });
}

const formats = new Map<string, Intl.DateTimeFormat>();
function format(kind: 'full' | 'time'): Intl.DateTimeFormat {
  const key = `${locale()}|${kind}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), kind === 'full'
      ? { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
      : { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formats.set(key, f);
  }
  return f;
}

/** Date and time of epoch nanoseconds (or an RFC 3339 string). */
export function dateTime(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const ms = typeof value === 'number' ? value / 1e6 : Date.parse(value);
  return Number.isFinite(ms) ? format('full').format(new Date(ms)) : String(value);
}

export function clock(ns: number): string {
  return format('time').format(new Date(ns / 1e6));
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
