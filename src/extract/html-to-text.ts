// HTML → blocks (headings, paragraphs, list items, table cells, code), entities decoded, the
// structure kept because an IOC alone in a table cell or list item is evidence.
//
// htmlparser2's Tokenizer, not its Parser: the Parser keeps open elements in an array it
// unshifts and searches (`stack.unshift`, `stack.indexOf`), which is quadratic on deeply nested
// markup (100k nested <div> took 10 s). The Tokenizer is a linear state machine; the element
// stack here is pushed and popped at its end, and a closing tag looks at most MAX_CLOSE_SEARCH
// entries down, so every tag costs O(1).
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import type { Block, BlockKind, TableContext } from './types.js';

/** How far down the stack an end tag looks for its element; beyond that the stray end tag is ignored. */
const MAX_CLOSE_SEARCH = 64;
/** A paragraph entirely in bold and at most this long reads as a heading (`<p><strong>Malware</strong></p>`). */
const MAX_BOLD_HEADING_LENGTH = 120;

/** Elements whose content is never shown. */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'title', 'head', 'iframe', 'object', 'select']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements that end the current block when they open or close. */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'center', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'html', 'li',
  'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul',
]);
const KIND_OF: Readonly<Record<string, BlockKind>> = {
  td: 'table_cell',
  th: 'table_cell',
  li: 'list_item',
  dt: 'list_item',
  dd: 'list_item',
  pre: 'code',
  h1: 'heading',
  h2: 'heading',
  h3: 'heading',
  h4: 'heading',
  h5: 'heading',
  h6: 'heading',
};
const BOLD = new Set(['b', 'strong']);
/** Block elements that, inside a table cell, only start a new line of it. */
const LINES_OF_A_CELL = new Set(['p', 'div']);
/** Opening one of these closes an open element of the listed names (HTML's implied end tags), up to a boundary. */
const IMPLIED_CLOSE: Readonly<Record<string, { closes: ReadonlySet<string>; stopAt: ReadonlySet<string> }>> = {
  li: { closes: new Set(['li']), stopAt: new Set(['ul', 'ol', 'menu']) },
  dt: { closes: new Set(['dt', 'dd']), stopAt: new Set(['dl']) },
  dd: { closes: new Set(['dt', 'dd']), stopAt: new Set(['dl']) },
  td: { closes: new Set(['td', 'th']), stopAt: new Set(['tr', 'table']) },
  th: { closes: new Set(['td', 'th']), stopAt: new Set(['tr', 'table']) },
  tr: { closes: new Set(['tr', 'td', 'th']), stopAt: new Set(['table', 'thead', 'tbody', 'tfoot']) },
  p: { closes: new Set(['p']), stopAt: new Set(['div', 'li', 'td', 'th', 'blockquote', 'section', 'article']) },
};

/** What a tag name means here, looked up once a tag (one map read, not one set a property). */
interface Tag {
  bold: boolean;
  block: boolean;
  void: boolean;
  hidden: boolean;
  kind: BlockKind | undefined;
  level: number | undefined;
  implied: { closes: ReadonlySet<string>; stopAt: ReadonlySet<string> } | undefined;
}
const OTHER_TAG: Tag = { bold: false, block: false, void: false, hidden: false, kind: undefined, level: undefined, implied: undefined };
const TAGS = new Map<string, Tag>();
for (const name of new Set([...HIDDEN, ...VOID, ...BLOCK, ...BOLD, ...Object.keys(KIND_OF), ...Object.keys(IMPLIED_CLOSE)])) {
  const kind = KIND_OF[name];
  TAGS.set(name, {
    bold: BOLD.has(name),
    block: BLOCK.has(name),
    void: VOID.has(name),
    hidden: HIDDEN.has(name),
    kind,
    level: kind === 'heading' ? Number(name[1]) : undefined,
    implied: IMPLIED_CLOSE[name],
  });
}

const WHITESPACE_RUN = /[\s\u00A0]+/g;
/** Whether WHITESPACE_RUN would change anything: a blank other than a space, or two in a row. */
const COLLAPSIBLE = /[^\S ]|\s\s/;
const NOT_SPACE = /\S/;

/** Short cells of a row name the others (`3B26…71E5 | TLSH`): each cell learns its row's short texts. */
export const MAX_LABEL = 40;
/** A row of more cells is no row of labelled values. */
export const MAX_CELLS_WITH_LABELS = 16;

function endRow(table: TableState): void {
  const labels = table.row.length > MAX_CELLS_WITH_LABELS ? [] : table.row.filter((cell) => cell.text.length <= MAX_LABEL).map((cell) => cell.text);
  // One array for the row, shared by its cells.
  if (labels.length > 1) for (const cell of table.row) cell.context.labels = labels;
  table.row = [];
}

/** An open table: what a cell's context is made of (its caption, its column's header, its row's first cell). */
interface TableState {
  /** The depth of the <table> element in the stack. */
  depth: number;
  caption: string | undefined;
  headers: string[];
  /** Index of the current cell in its row; -1 before the row's first cell. */
  column: number;
  rowLabel: string | undefined;
  /** The current row's cells so far, each with its text: they learn the row's labels when it ends. */
  row: { context: TableContext; text: string }[];
}

const MAX_CONTEXT_PART = 120;

function collapseSpaces(line: string): string {
  return line.includes('  ') ? line.replace(/ {2,}/g, ' ') : line;
}

/** A block's lines, each trimmed (code keeps its indentation), empty lines dropped (but in code). */
function blockLines(raw: string, kind: BlockKind): string {
  const kept: string[] = [];
  for (const line of raw.split('\n')) {
    const written = kind === 'code' ? line.trimEnd() : collapseSpaces(line).trim();
    if (written !== '' || kind === 'code') kept.push(written);
  }
  return kept.join('\n').trim();
}

class BlockCollector {
  readonly blocks: Block[] = [];
  private readonly tables: TableState[] = [];
  // The open elements, as parallel arrays (no object an element: 100k nested <div> are common
  // enough in broken pages, and a deep stack must cost little).
  private readonly names: string[] = [];
  private readonly kinds: BlockKind[] = [];
  private readonly levels: (number | undefined)[] = [];
  private readonly hiddens: boolean[] = [];
  /** How many elements of each name are open: a stray end tag is dismissed without a search. */
  private readonly openCount = new Map<string, number>();
  private parts: string[] = [];
  /** The block so far has visible text, and some of it outside <b>/<strong>. */
  private hasText = false;
  private hasPlainText = false;
  private boldDepth = 0;
  private hiddenDepth = 0;

  private kind(): BlockKind {
    return this.kinds[this.kinds.length - 1] ?? 'paragraph';
  }

  text(data: string): void {
    if (this.hiddenDepth > 0 || data === '') return;
    const code = this.kind() === 'code';
    const written = code ? data.replaceAll('\u00A0', ' ') : COLLAPSIBLE.test(data) ? data.replace(WHITESPACE_RUN, ' ') : data;
    this.parts.push(written);
    // Whether the block has text, and plain text: asked only until both are known.
    if ((!this.hasText || (!this.hasPlainText && this.boldDepth === 0)) && NOT_SPACE.test(written)) {
      this.hasText = true;
      if (this.boldDepth === 0) this.hasPlainText = true;
    }
  }

  lineBreak(): void {
    if (this.hiddenDepth === 0) this.parts.push('\n');
  }

  /** Ends the current block: emits what was gathered, with the kind of the element it sits in. */
  flush(): void {
    if (this.parts.length === 0) return;
    const raw = this.parts.join('');
    const allBold = this.hasText && !this.hasPlainText;
    this.parts = [];
    this.hasText = false;
    this.hasPlainText = false;
    const kind = this.kind();
    const level = this.levels[this.levels.length - 1];
    const text = raw.includes('\n') ? blockLines(raw, kind) : (kind === 'code' ? raw : collapseSpaces(raw)).trim();
    if (text === '') return;
    const table = this.tables[this.tables.length - 1];
    if (table !== undefined && this.inside('caption', table.depth)) table.caption = text.slice(0, MAX_CONTEXT_PART);
    if (kind === 'paragraph' && allBold && text.length <= MAX_BOLD_HEADING_LENGTH && !text.includes('\n')) {
      this.blocks.push({ kind: 'heading', text });
      return;
    }
    const block: Block = level === undefined ? { kind, text } : { kind, text, level };
    if (kind === 'table_cell' && table !== undefined) block.table = this.cellContext(table, text);
    this.blocks.push(block);
  }

  /** Whether an element of this name is open above `depth` (the innermost table's). */
  private inside(name: string, depth: number): boolean {
    for (let i = this.names.length - 1; i > depth; i--) if (this.names[i] === name) return true;
    return false;
  }

  /** A header cell names its column; a body cell gets the caption, its column's header and its row's label. */
  private cellContext(table: TableState, text: string): TableContext {
    const column = Math.max(0, table.column);
    const short = text.slice(0, MAX_CONTEXT_PART);
    const context: TableContext = {};
    if (table.caption !== undefined) context.caption = table.caption;
    if (column === 0 && table.rowLabel === undefined) table.rowLabel = short;
    // A row of more cells gets no labels: its cells are not collected past that.
    if (table.row.length <= MAX_CELLS_WITH_LABELS) table.row.push({ context, text: short });
    if (this.inside('th', table.depth) || this.inside('thead', table.depth)) {
      // A header names its column; one that leads a row of data cells also names the row.
      table.headers[column] = short;
      context.header = true;
      return context;
    }
    const header = table.headers[column];
    if (header !== undefined) context.column = header;
    if (column > 0 && table.rowLabel !== undefined) context.row = table.rowLabel;
    return context;
  }

  open(name: string): void {
    const tag = TAGS.get(name) ?? OTHER_TAG;
    if (tag.bold) this.boldDepth++;
    if (name === 'br') return this.lineBreak();
    if (tag.block) this.endBlock(name);
    if (tag.void) return;
    if (tag.implied !== undefined) this.closeImplied(tag.implied.closes, tag.implied.stopAt);
    const depth = this.names.length;
    if (tag.hidden) this.hiddenDepth++;
    this.openTablePart(name, depth);
    this.openCount.set(name, (this.openCount.get(name) ?? 0) + 1);
    this.names.push(name);
    this.kinds.push(tag.kind ?? this.kinds[depth - 1] ?? 'paragraph');
    this.levels.push(tag.kind === 'heading' ? tag.level : tag.kind === undefined ? this.levels[depth - 1] : undefined);
    this.hiddens.push(tag.hidden);
  }

  close(name: string): void {
    if (name === 'br') return this.lineBreak();
    const tag = TAGS.get(name) ?? OTHER_TAG;
    if (tag.bold && this.boldDepth > 0) this.boldDepth--;
    if (!this.openCount.get(name)) return;
    const limit = Math.max(0, this.names.length - MAX_CLOSE_SEARCH);
    for (let i = this.names.length - 1; i >= limit; i--) {
      if (this.names[i] !== name) continue;
      if (tag.block) this.endBlock(name);
      while (this.names.length > i) this.pop();
      return;
    }
  }

  /**
   * A block element's edge ends the block, except inside a table cell, where a paragraph or a
   * division is a line of the cell: a value the page splits over two paragraphs of one cell
   * stays in one block, where it can be joined again (wrapped.ts).
   */
  private endBlock(name: string): void {
    if (this.kind() === 'table_cell' && LINES_OF_A_CELL.has(name)) this.lineBreak();
    else this.flush();
  }

  /** Keeps the innermost table's position: a new table, a new row, the next cell. */
  private openTablePart(name: string, depth: number): void {
    if (name === 'table') {
      this.tables.push({ depth, caption: undefined, headers: [], column: -1, rowLabel: undefined, row: [] });
      return;
    }
    const table = this.tables[this.tables.length - 1];
    if (table === undefined) return;
    if (name === 'tr') {
      endRow(table);
      table.column = -1;
      table.rowLabel = undefined;
    } else if (name === 'td' || name === 'th') {
      table.column++;
    }
  }

  private pop(): void {
    const name = this.names.pop();
    if (name === undefined) return;
    const table = this.tables[this.tables.length - 1];
    if (name === 'table' && table !== undefined && table.depth === this.names.length) {
      endRow(table);
      this.tables.pop();
    }
    this.kinds.pop();
    this.levels.pop();
    if (this.hiddens.pop()) this.hiddenDepth--;
    this.openCount.set(name, (this.openCount.get(name) as number) - 1);
  }

  /** `<li>` after an open `<li>` of the same list closes it, as browsers do. */
  private closeImplied(closes: ReadonlySet<string>, stopAt: ReadonlySet<string>): void {
    const limit = Math.max(0, this.names.length - MAX_CLOSE_SEARCH);
    for (let i = this.names.length - 1; i >= limit; i--) {
      const name = this.names[i] as string;
      if (stopAt.has(name)) return;
      if (closes.has(name)) {
        this.flush();
        while (this.names.length > i) this.pop();
        return;
      }
    }
  }

  end(): Block[] {
    this.flush();
    for (const table of this.tables) endRow(table);
    return this.blocks;
  }
}

/** Splits HTML into blocks: visible text only (no attributes, scripts or styles), entities decoded. */
export function htmlToBlocks(html: string): Block[] {
  const collector = new BlockCollector();
  let tagName = '';
  const noop = (): void => undefined;
  const callbacks: TokenizerCallbacks = {
    ontext: (start, end) => collector.text(html.slice(start, end)),
    ontextentity: (codepoint) => collector.text(String.fromCodePoint(codepoint)),
    onopentagname: (start, end) => {
      tagName = html.slice(start, end).toLowerCase();
    },
    onopentagend: () => collector.open(tagName),
    onselfclosingtag: () => {
      collector.open(tagName);
      if (!VOID.has(tagName)) collector.close(tagName);
    },
    onclosetag: (start, end) => collector.close(html.slice(start, end).toLowerCase()),
    onattribdata: noop,
    onattribentity: noop,
    onattribend: noop,
    onattribname: noop,
    oncdata: noop,
    oncomment: noop,
    ondeclaration: noop,
    onend: noop,
    onprocessinginstruction: noop,
  };
  const tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();
  return collector.end();
}

/** Renders blocks as plain text the way the fixtures' `.txt` files are: table cells end with ` |`, list items start with `- `. */
export function blocksToText(blocks: readonly Block[]): string {
  return blocks
    .map((block) => {
      if (block.kind === 'table_cell') return `${block.text} |`;
      if (block.kind === 'list_item') return `- ${block.text}`;
      return block.text;
    })
    .join('\n\n');
}

