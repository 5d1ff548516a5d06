// Plain text → blocks. Reads the structure a text rendering of an article keeps:
// - a line that ends with `|` ends a table cell (the CISA/feed renderings end every cell so; a
//   cell may span lines, and a lone `|` line closes the paragraph before it); a line that also
//   starts with `|` is a Markdown table row, one cell per column;
// - `- `, `* `, `• ` or `1. ` starts a list item;
// - a short line standing alone between blank lines, without closing punctuation, is a heading,
//   and so is a Markdown (`## Network`) or AsciiDoc (`=== Network`) heading line, with its rank;
// - an AsciiDoc table row (`|a |b`) gives one cell a column; its `|===` rules, attribute lines
//   (`[options="header"]`) and Markdown code fences are separators;
// - a line that opens an HTML block element (`<table>`, `<ul>`, `<div>`…) starts HTML embedded in
//   the text, read as HTML up to the next blank line (Markdown's HTML blocks, CommonMark §4.6);
// - everything else is a paragraph (its lines kept, so one value a line still shows as a list).
import { htmlToBlocks, MAX_CELLS_WITH_LABELS, MAX_LABEL } from './html-to-text.js';
import type { Block } from './types.js';

const LIST_MARKER = /^\s*(?:[-*•‣◦▪–]|\d{1,3}[.)])\s+/;
/** The line (already trimmed) ends a table cell; returns the cell's text without the bar. */
function cellContent(line: string): string | undefined {
  return line.endsWith('|') ? line.slice(0, -1).trimEnd() : undefined;
}
const MAX_HEADING_LENGTH = 100;
const MAX_HEADING_WORDS = 12;
/** A heading ends without sentence or clause punctuation, and starts like a title. */
const HEADING_END = /[.,;:!?|{}=(\\]$/;
const HEADING_START = /^[\p{Lu}\p{N}]/u;
/** A heading of one word is a word: `Contact`, `Malware`, not `evil.com` or a hash. */
const SINGLE_WORD_HEADING = /^[\p{L}][\p{L}&'’-]*$/u;

const MARKDOWN_SEPARATOR = /^:?-{3,}:?$/;

/** A line of more bars is no table row (a row of values has a few columns): it is read as text. */
const MAX_ROW_BARS = 64;

function tooManyBars(line: string): boolean {
  let bars = 0;
  for (let i = line.indexOf('|'); i !== -1; i = line.indexOf('|', i + 1)) if (++bars > MAX_ROW_BARS) return true;
  return false;
}

/** `| evil[.]com | C2 |`: a Markdown table row, as its cells; the `|---|` rule row gives none. */
function markdownRow(line: string): string[] | undefined {
  if (line.length < 3 || !line.startsWith('|') || !line.endsWith('|') || tooManyBars(line)) return undefined;
  const cells = line
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim());
  return cells.filter((cell) => cell !== '' && !MARKDOWN_SEPARATOR.test(cell));
}

/** `## Indicators`, `=== Network IOCs`: a heading whose marks give its rank. */
const MARKUP_HEADING = /^(#{1,6}|={1,6})\s+(\S.{0,200}?)(?:\s+[#=]+)?$/;
/** Lines that only delimit: AsciiDoc table rules and attribute lists, Markdown code fences. */
const DELIMITER = /^(?:\|={3,}|\[[a-z%#.][^\]]{0,100}\]|`{3,}[\w-]*|~{3,})$/i;

/** `|a |b |c`: an AsciiDoc table row (it starts with a bar and does not end with one). */
function asciidocRow(line: string): string[] | undefined {
  if (!line.startsWith('|') || line.endsWith('|') || line.startsWith('|=') || tooManyBars(line)) return undefined;
  return line
    .slice(1)
    .split('|')
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '');
}

/** A line that starts an HTML block in Markdown (CommonMark's kind 6 start condition, for the elements that hold text). */
const HTML_BLOCK_LINE = /^[ \t]*<\/?(?:table|thead|tbody|tr|td|th|ul|ol|li|dl|dt|dd|div|p|blockquote|section|article|details|h[1-6]|pre)(?:[\s/>]|$)/gim;
/** The blank line that ends an HTML block. */
const BLANK_LINE = /\n[ \t\r]*(?:\n|$)/g;

/** What headings do not hold: a URL, a defanged value, an address. */
const NOT_IN_HEADING = /:\/\/|\[\.\]|@|\[@\]/;

function isHeadingLine(line: string): boolean {
  if (line.length > MAX_HEADING_LENGTH || HEADING_END.test(line) || !HEADING_START.test(line)) return false;
  if (NOT_IN_HEADING.test(line)) return false;
  const words = line.split(/\s+/);
  if (words.length > MAX_HEADING_WORDS) return false;
  return words.length > 1 || SINGLE_WORD_HEADING.test(line);
}

/** Splits plain text into blocks. One pass over the lines; a paragraph waits for the next non-blank line to know whether a lone `|` makes it a table cell. */
/** A header row names columns: short labels, none of them IOC-shaped (no dot, digit run or colon). */
const HEADER_CELL = /^[\p{L}][\p{L}\p{N} ()/&#'-]{0,40}$/u;

export function textToBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  /** The current table's column headers (undefined outside a table, or a table without a header row). */
  let headers: string[] | undefined;
  let inTable = false;
  let paragraph: string[] = [];
  /** Lines of a paragraph that ended at a blank line, not yet emitted. */
  let held: string[] = [];

  const emitParagraph = (lines: string[]): void => {
    if (lines.length === 0) return;
    if (lines.length === 1 && isHeadingLine(lines[0] as string)) {
      blocks.push({ kind: 'heading', text: lines[0] as string });
      return;
    }
    blocks.push({ kind: 'paragraph', text: lines.join('\n') });
  };
  const emitCell = (lines: string[]): void => {
    const cell = lines.join('\n').trim();
    if (cell !== '') blocks.push({ kind: 'table_cell', text: cell });
  };

  /** Ends what the lines so far have open (before an HTML block, and at the end). */
  const endLines = (): void => {
    emitParagraph(held);
    held = [];
    if (paragraph.length > 0) {
      // A last line alone is a paragraph unless it stood alone after a blank line too.
      emitParagraph(paragraph);
    }
    paragraph = [];
    inTable = false;
  };

  const readLines = (segment: string): void => {
    // trim() drops the `\r` of a CRLF line end.
    for (const rawLine of segment.split('\n')) {
      const line = rawLine.trim();
      const first = line.charCodeAt(0);
      if (line === '') {
        if (paragraph.length > 0) {
          emitParagraph(held);
          held = paragraph;
          paragraph = [];
        }
        continue;
      }
      // Only a line that starts with a mark can be a delimiter or a marked-up heading.
      const marked = first === 124 /* | */ || first === 91 /* [ */ || first === 96 /* ` */ || first === 126 /* ~ */ || first === 35 /* # */ || first === 61; /* = */
      if (marked && DELIMITER.test(line)) {
        emitParagraph(held);
        held = [];
        emitParagraph(paragraph);
        paragraph = [];
        continue;
      }
      const heading = marked ? MARKUP_HEADING.exec(line) : null;
      if (heading !== null) {
        emitParagraph(held);
        held = [];
        emitParagraph(paragraph);
        paragraph = [];
        blocks.push({ kind: 'heading', text: heading[2] as string, level: (heading[1] as string).length });
        continue;
      }
      const row = markdownRow(line) ?? asciidocRow(line);
      if (row !== undefined) {
        emitParagraph(held);
        held = [];
        if (paragraph.length > 0) emitParagraph(paragraph);
        paragraph = [];
        if (!inTable) {
          inTable = true;
          headers = row.length > 1 && row.every((cell) => HEADER_CELL.test(cell)) ? row : undefined;
          if (headers !== undefined) {
            for (const cell of row) blocks.push({ kind: 'table_cell', text: cell, table: { header: true } });
            continue;
          }
        }
        const short = row.length > MAX_CELLS_WITH_LABELS ? [] : row.filter((cell) => cell.length <= MAX_LABEL);
        const labels = short.length > 1 ? short : undefined;
        row.forEach((cell, column) => {
          if (cell === '') return;
          const table: Block['table'] = {};
          if (headers?.[column] !== undefined) table.column = headers[column];
          if (column > 0) table.row = row[0];
          if (labels !== undefined) table.labels = labels;
          blocks.push({ kind: 'table_cell', text: cell, table });
        });
        continue;
      }
      inTable = false;
      const content = cellContent(line);
      if (content !== undefined) {
        if (content === '' && paragraph.length === 0) {
          // A lone `|` closes the paragraph before the blank line.
          if (held.length > 0) {
            emitCell(held);
            held = [];
          }
          continue;
        }
        emitParagraph(held);
        held = [];
        emitCell([...paragraph, content]);
        paragraph = [];
        continue;
      }
      if (LIST_MARKER.test(line)) {
        emitParagraph(held);
        held = [];
        if (paragraph.length > 0) emitParagraph(paragraph);
        paragraph = [];
        blocks.push({ kind: 'list_item', text: line.replace(LIST_MARKER, '') });
        continue;
      }
      emitParagraph(held);
      held = [];
      paragraph.push(line);
    }
  };

  // A no-break space reads as a space. HTML blocks are found in the whole text (each ends at a
  // blank line) and read as HTML; the text between them is read line by line.
  const source = text.replaceAll('\u00A0', ' ');
  let at = 0;
  HTML_BLOCK_LINE.lastIndex = 0;
  for (let start = HTML_BLOCK_LINE.exec(source); start !== null; start = HTML_BLOCK_LINE.exec(source)) {
    readLines(source.slice(at, start.index));
    endLines();
    BLANK_LINE.lastIndex = start.index;
    const blank = BLANK_LINE.exec(source);
    const stop = blank === null ? source.length : blank.index;
    for (const block of htmlToBlocks(source.slice(start.index, stop))) blocks.push(block);
    at = stop;
    HTML_BLOCK_LINE.lastIndex = stop;
  }
  readLines(source.slice(at));
  endLines();
  return blocks;
}
