// ATT&CK technique ids and CVE ids. Sentences marked AA25-141A are copied from that CISA
// advisory (public domain; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { findCveIds, findTechniqueIds } from '../../../src/extract/attack-and-cve.js';
import { extractIocs } from '../../../src/extract/index.js';

describe('ATT&CK technique ids', () => {
  it('AA25-141A: ids in brackets, sub-techniques included', () => {
    const extraction = extractIocs(
      'Unit 26165 actors’ credential guessing [T1110.001] operations in this campaign exhibit some similar characteristics. ' +
        'Phishing emails were frequently sent via compromised accounts or free webmail accounts [T1586.002, T1586.003].',
      { html: false },
    );
    expect(extraction.techniques).toEqual(['T1110.001', 'T1586.002', 'T1586.003']);
    const ioc = extraction.iocs.find((candidate) => candidate.value === 'T1110.001');
    expect(ioc).toMatchObject({ type: 'mitre_attack', normalized: 't1110.001' });
  });

  it('drops ids the ATT&CK table does not know, and tactic ids', () => {
    const extraction = extractIocs('Techniques T1059, T9999 and T1059.999; tactic TA0043; not T10590 nor XT1059.', { html: false });
    expect(extraction.techniques).toEqual(['T1059']);
  });

  it('counts repeated and listed ids as high, a single mention in prose as medium', () => {
    const extraction = extractIocs('They used T1566 to get in. Later T1566 again, and once T1190.', { html: false });
    expect(extraction.iocs.find((ioc) => ioc.value === 'T1566')?.confidence).toBe('high');
    expect(extraction.iocs.find((ioc) => ioc.value === 'T1190')?.confidence).toBe('medium');
  });

  it('findTechniqueIds gives offsets', () => {
    expect(findTechniqueIds('see T1059.001 here')).toEqual([{ id: 'T1059.001', start: 4, end: 13 }]);
  });
});

describe('CVE ids', () => {
  it('AA25-141A: ids in parentheses and lists, upper case, sorted and unique', () => {
    const extraction = extractIocs(
      '- Roundcube vulnerabilities (CVE-2020-12641, CVE-2020-35730, CVE-2021-44026)\n- Outlook NTLM vulnerability (cve-2023-23397)\n- Again CVE-2020-12641\n',
      { html: false },
    );
    expect(extraction.cves).toEqual(['CVE-2020-12641', 'CVE-2020-35730', 'CVE-2021-44026', 'CVE-2023-23397']);
    expect(extraction.iocs.filter((ioc) => ioc.type === 'cve')).toHaveLength(4);
  });

  it('refuses malformed ids and ids glued to other words', () => {
    expect(findCveIds('CVE-2024-1 CVE-24-1234 CVE-2024-01234 xCVE-2024-1234 CVE-2024-1234abc').map((match) => match.id)).toEqual([]);
    expect(findCveIds('CVE-2024-3400.').map((match) => match.id)).toEqual(['CVE-2024-3400']);
  });
});
