// PostgreSQL refuses NUL (0x00) in text, and one such row would fail the statement that carries
// its whole batch. A row holding one anywhere (its value, context, tags, title) is rejected with
// that reason before it reaches the store, and the rest is kept.
const NUL = '\u0000';

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) return Object.values(value).some(holdsNul);
  return false;
}

export interface NulRejection<A> {
  at: A;
  value: string;
  reason: string;
}

/** The rows without a NUL, and one rejection for each row with one (`describe` names it). */
export function rejectNul<T, A extends number | string>(rows: readonly T[], describe: (row: T, index: number) => { at: A; value: string }) {
  const kept: T[] = [];
  const rejected: NulRejection<A>[] = [];
  rows.forEach((row, index) => {
    if (!holdsNul(row)) return void kept.push(row);
    const { at, value } = describe(row, index);
    rejected.push({ at, value: value.replaceAll(NUL, '\\0'), reason: 'contains a NUL character, which no text stored may hold' });
  });
  return { kept, rejected };
}
