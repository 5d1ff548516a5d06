// PostgreSQL array literals, written by hand because they are cheap to write and several times
// faster for PostgreSQL to parse than the same rows as JSON (upsert.ts sends its rows so).

const NEEDS_ESCAPE = /["\\]/;
/** An element of an array literal, quoted (any text) or NULL. */
function quoted(value: string | null): string {
  if (value === null) return 'NULL';
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`;
}
/** A text[] literal. */
export function textArray(values: readonly (string | null)[]): string {
  return `{${values.map(quoted).join(',')}}`;
}
/** A literal of values that never need quoting (uuids, timestamps, type and confidence names). */
export function plainArray(values: readonly (string | null)[]): string {
  return `{${values.map((v) => v ?? 'NULL').join(',')}}`;
}
/** A per-row list as the literal of its own array, or null when empty (stored as '{}'). */
export function listLiteral(values: readonly string[]): string | null {
  return values.length === 0 ? null : textArray(values);
}
