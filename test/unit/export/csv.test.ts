// The hand-written CSV writer against csv-stringify (RFC 4180, CRLF, formula neutralization):
// the same bytes for any cell without a line break (csv-stringify leaves a lone CR or LF
// unquoted, which RFC 4180 does not allow), and csv-parse reads every cell back.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvHeader, csvLines, neutralizeFormula, restoreFormula } from '../../../src/export/csv.js';
import type { CsvRecord } from '../../../src/store/records.js';

const REFERENCE = { record_delimiter: 'windows', cast: { string: neutralizeFormula } } as const;

const cellText = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', '+', '-', '@', '\t', "'", ' ', 'é') }),
);
const oneLine = cellText.filter((text) => !/[\r\n]/.test(text));
// restoreFormula cannot tell a neutralized cell from a value that began with a quote itself.
const unambiguous = cellText.filter((text) => restoreFormula(text) === text);

function row(cells: string[]): CsvRecord {
  const [id, type, value, confidence, first, last, article, feed, category, tags] = cells;
  return {
    id: id!,
    type: type as CsvRecord['type'],
    value: value!,
    confidence: confidence as CsvRecord['confidence'],
    first_seen: first!,
    last_seen: last!,
    article_id: article === '' ? null : article!,
    feed_name: feed!,
    category: category as CsvRecord['category'],
    tags: tags!,
  };
}

describe('CSV writer', () => {
  it('writes the header as csv-stringify does', () => {
    expect(csvHeader()).toBe(stringify([[...CSV_COLUMNS]], REFERENCE));
  });

  it('writes any cells exactly as csv-stringify does', () => {
    fc.assert(
      fc.property(fc.array(fc.array(oneLine, { minLength: 10, maxLength: 10 }), { maxLength: 5 }), (rows) => {
        expect(csvLines(rows.map(row))).toBe(rows.length === 0 ? '' : stringify(rows, REFERENCE));
      }),
    );
  });

  it('reads back: every cell parses to itself once its formula guard is removed', () => {
    fc.assert(
      fc.property(fc.array(unambiguous, { minLength: 10, maxLength: 10 }), (cells) => {
        const [parsed] = parse(csvLines([row(cells)]), { relax_column_count: false }) as string[][];
        expect(parsed!.map(restoreFormula)).toEqual(cells);
      }),
    );
  });

  it('quotes and neutralizes where it must, and nowhere else', () => {
    const cells = ['id', 'ipv4', '=cmd|calc', 'high', 'a,b', 'say "hi"', '', 'line\r\nbreak', '-1', 'mirai,elf'];
    expect(csvLines([row(cells)])).toBe(`id,ipv4,'=cmd|calc,high,"a,b","say ""hi""",,"line\r\nbreak",'-1,"mirai,elf"\r\n`);
  });
});
