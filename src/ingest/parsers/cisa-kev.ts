// CISA Known Exploited Vulnerabilities: `known_exploited_vulnerabilities.json`, an object
// {title, catalogVersion, dateReleased, count, vulnerabilities: [{cveID, vendorProject, product,
// vulnerabilityName, dateAdded, shortDescription, knownRansomwareCampaignUse, ...}]}.
// One `cve` record per vulnerability.
import { readDate } from '../../ioc/dates.js';
import { FeedFormatError, type FeedParser, type FeedRecord, type ParsedFeed } from '../types.js';
import {
  RowError,
  collectRow,
  emptyFeed,
  iocOf,
  isObject,
  notBefore,
  parseJsonBody,
  requiredDate,
  shapeOf,
  textOf,
} from './common.js';

const FORMAT = 'CISA KEV JSON';

/** `Microsoft Windows`; the vendor once when the product repeats it (`Git` `Git` → `Git`). */
function productOf(vendor: string | undefined, product: string | undefined): string {
  if (vendor === undefined) return product ?? '';
  if (product === undefined) return vendor;
  const lowerProduct = product.toLowerCase();
  const lowerVendor = vendor.toLowerCase();
  return lowerProduct === lowerVendor || lowerProduct.startsWith(`${lowerVendor} `) ? product : `${vendor} ${product}`;
}

/**
 * firstSeen = dateAdded; lastSeen = the catalogue's dateReleased (the entry is still listed as of
 * that release), or dateAdded without one. Confidence high: CISA lists only vulnerabilities with
 * reliable evidence of exploitation. Tags: `kev`, and `ransomware` when
 * knownRansomwareCampaignUse is `Known`. No industries: the catalogue names none.
 */
function readVulnerability(entry: Record<string, unknown>, released: Date | undefined): FeedRecord {
  const ioc = iocOf(textOf(entry.cveID), 'cve', 'cveID');
  const firstSeen = requiredDate(entry.dateAdded, 'dateAdded');
  const product = productOf(textOf(entry.vendorProject), textOf(entry.product));
  const name = textOf(entry.vulnerabilityName);
  const description = textOf(entry.shortDescription);
  let context = product === '' ? '' : `${product}: `;
  context += name === undefined ? ioc.value : name.endsWith('.') ? name : `${name}.`;
  if (description !== undefined) context += ` ${description}`;
  const ransomware = textOf(entry.knownRansomwareCampaignUse)?.toLowerCase() === 'known';
  return {
    ioc,
    confidence: 'high',
    firstSeen,
    lastSeen: notBefore(firstSeen, released),
    tags: ransomware ? ['kev', 'ransomware'] : ['kev'],
    context,
    referenceUrl: `https://nvd.nist.gov/vuln/detail/${ioc.value}`,
  };
}

export const parseCisaKev: FeedParser = (body) => {
  const document = parseJsonBody(body, FORMAT);
  if (!isObject(document) || !Array.isArray(document.vulnerabilities)) {
    throw new FeedFormatError(`${FORMAT}: expected an object with a "vulnerabilities" array, got ${shapeOf(document)}`);
  }
  const releasedText = textOf(document.dateReleased);
  const read = releasedText === undefined ? undefined : readDate(releasedText);
  const released = read?.ok ? read.date : undefined;
  const feed: ParsedFeed = emptyFeed();
  document.vulnerabilities.forEach((entry: unknown, index) => {
    const value = isObject(entry) ? (textOf(entry.cveID) ?? '') : (JSON.stringify(entry) ?? '');
    collectRow(feed, index, value, () => {
      if (!isObject(entry)) throw new RowError(`entry is ${shapeOf(entry)}, not an object`);
      return readVulnerability(entry, released);
    });
  });
  return feed;
};
