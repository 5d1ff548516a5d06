// The context sentence. Sentences marked AA25-141A / AA25-163A are copied from those CISA
// advisories (public domain; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { contextSentence, MAX_CONTEXT_LENGTH } from '../../../src/extract/context.js';
import { extractIocs } from '../../../src/extract/index.js';

describe('context', () => {
  it('AA25-163A: the sentence that holds the value, and only it', () => {
    const text =
      'If RAS installation is present and running, open the serviceconfig.xml file to determine if the registered service is vulnerable. ' +
      'Add /allversions (e.g., https://simple-help.com/allversions) to query the URL for the version page. This page will list the running version.';
    // The vendor's own page is one of the advisory's references, with its sentence.
    const [reference] = extractIocs(text, { html: false }).references;
    expect(reference?.context).toBe('Add /allversions (e.g., https://simple-help.com/allversions) to query the URL for the version page.');
  });

  it('keeps the value as the author wrote it (defanged stays defanged)', () => {
    const [ioc] = extractIocs('The second stage came from hxxp://cdn-update[.]info/x.png and ran in memory.', { html: false }).iocs;
    expect(ioc?.value).toBe('http://cdn-update.info/x.png');
    expect(ioc?.context).toBe('The second stage came from hxxp://cdn-update[.]info/x.png and ran in memory.');
  });

  it('AA25-141A: a value alone in a list item gets its heading in front', () => {
    const html = '<h3>Outlook CVE Exploitation IOCs</h3><ul><li>jayam@wizzsolutions[.]com</li></ul>';
    const [ioc] = extractIocs(html, { html: true }).iocs;
    expect(ioc?.context).toBe('Outlook CVE Exploitation IOCs: jayam@wizzsolutions[.]com');
  });

  it('is at most 300 characters, and keeps the value when the sentence is longer', () => {
    const filler = 'the actors moved laterally across many hosts and '.repeat(20);
    const text = `${filler}then contacted 45[.]77[.]12[.]9 for tasking and ${filler}.`;
    const [ioc] = extractIocs(text, { html: false }).iocs;
    expect(ioc?.context.length).toBeLessThanOrEqual(MAX_CONTEXT_LENGTH);
    expect(ioc?.context).toContain('45[.]77[.]12[.]9');
  });

  it('contextSentence stops at line breaks and sentence ends', () => {
    const text = 'First line.\nThe value evil.com is here. Next sentence.';
    const start = text.indexOf('evil.com');
    expect(contextSentence(text, start, start + 8)).toBe('The value evil.com is here.');
  });
});
