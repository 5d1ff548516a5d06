// OpenIOC 1.1 checks: Mandiant's ioc.xsd (../shared/standards/openioc-1.1, through libxml2 built
// to WebAssembly, xmllint-wasm) and the term dictionaries: every IndicatorItem's Context search
// must be a term of iocterms/ (termDisplayType gives the Content type the dictionary names).
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';
import { SHARED_DIR } from './shared.js';

const STANDARD = path.join(SHARED_DIR, 'standards', 'openioc-1.1');
const SCHEMA = { fileName: 'ioc.xsd', contents: fs.readFileSync(path.join(STANDARD, 'ioc.xsd'), 'utf8') };

/** search term → its display type (`FileItem/Md5sum` → `md5`), from every dictionary of the standard. */
const TERMS = new Map<string, string>();
for (const file of fs.readdirSync(path.join(STANDARD, 'iocterms'))) {
  for (const [tag] of fs.readFileSync(path.join(STANDARD, 'iocterms', file), 'utf8').matchAll(/<iocterm\s[^>]*>/g)) {
    const text = / text="([^"]+)"/.exec(tag)?.[1];
    const display = / display-type="([^"]+)"/.exec(tag)?.[1];
    if (text !== undefined && display !== undefined) TERMS.set(text, display);
  }
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, isArray: (name) => ['Indicator', 'IndicatorItem'].includes(name) });

interface Item {
  Context: { search: string };
  Content: { type: string; '#text'?: string | number };
}
interface IndicatorNode {
  IndicatorItem?: Item[];
  Indicator?: IndicatorNode[];
}

export interface OpenIocItem {
  search: string;
  type: string;
  value: string;
}

/** Every IndicatorItem of a document, depth first. */
export function openIocItems(xml: string): OpenIocItem[] {
  const document = parser.parse(xml.replace(/^\uFEFF/, '')) as { OpenIOC?: { criteria?: { Indicator?: IndicatorNode[] } } };
  const items: OpenIocItem[] = [];
  const walk = (indicator: IndicatorNode): void => {
    for (const item of indicator.IndicatorItem ?? []) {
      items.push({ search: item.Context.search, type: item.Content.type, value: String(item.Content['#text'] ?? '') });
    }
    for (const child of indicator.Indicator ?? []) walk(child);
  };
  for (const indicator of document.OpenIOC?.criteria?.Indicator ?? []) walk(indicator);
  return items;
}

/** The display type the dictionary gives a search term (`md5`, `IP`, `string`), or undefined for no such term. */
export function termDisplayType(search: string): string | undefined {
  return TERMS.get(search);
}

/** What is wrong with a document: schema errors, then search terms the dictionary lacks (empty when valid). */
export async function checkOpenIoc(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: { fileName: 'export.ioc', contents: xml }, schema: SCHEMA });
  if (!result.valid) return result.errors.map((error) => `schema: ${error.message}`);
  return openIocItems(xml).flatMap(({ search }) => (TERMS.has(search) ? [] : [`unknown search term ${search}`]));
}
