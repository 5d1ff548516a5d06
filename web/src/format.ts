// Numbers and times as people read them.
const numbers = new Intl.NumberFormat('en');

export function count(n: number | undefined | null): string {
  return n === undefined || n === null ? '–' : numbers.format(n);
}

/** "3 h ago", "in 2 d"; the exact time goes in the element's title. */
export function ago(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const text =
    s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : s < 86_400 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

export function dateTime(iso: string | undefined | null): string {
  return iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '–';
}
