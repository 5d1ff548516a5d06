import { ago, dateTime } from '../format';

/** A time as "3 h ago", exact in its title and its datetime attribute. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">never</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {ago(iso)}
    </time>
  );
}
