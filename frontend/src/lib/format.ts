// Display helpers. Decimal strings are formatted from their text, not rounded through a
// float where exactness matters (sizes); prices and P&L are shown to a sensible precision.

export function num(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export function money(value: string | number | null | undefined, digits = 2): string {
  const n = num(value);
  if (n === null) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function signedMoney(value: string | number | null | undefined, digits = 2): string {
  const n = num(value);
  if (n === null) return '—';
  return (n > 0 ? '+' : '') + money(n, digits);
}

export function price(value: string | number | null | undefined): string {
  const n = num(value);
  if (n === null) return '—';
  const abs = Math.abs(n);
  const digits = abs >= 1000 ? 2 : abs >= 1 ? 4 : 8;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: Math.min(2, digits) });
}

/** A small amount such as a fee, to 6 significant digits (0.0996842 rather than 0.10). */
export function amount(value: string | number | null | undefined): string {
  const n = num(value);
  return n === null ? '—' : n.toLocaleString('en-US', { maximumSignificantDigits: 6 });
}

export function percent(value: string | number | null | undefined, digits = 2): string {
  const n = num(value);
  return n === null ? '—' : `${n.toFixed(digits)} %`;
}

export function tone(value: string | number | null | undefined): 'up' | 'down' | 'flat' {
  const n = num(value);
  return n === null || n === 0 ? 'flat' : n > 0 ? 'up' : 'down';
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** How long ago `value` was, in its largest whole unit ("3 minutes ago"). */
export function ago(value: string | null | undefined, now: number = Date.now()): string {
  if (!value) return 'never';
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return 'never';
  const s = Math.max(0, Math.round((now - t) / 1000));
  for (const [unit, size] of UNITS) if (s >= size) return relative.format(-Math.floor(s / size), unit);
  return 'under a minute ago';
}

export function reasonText(reason: string | null | undefined): string {
  return reason ? reason.replace(/_/g, ' ') : '—';
}
