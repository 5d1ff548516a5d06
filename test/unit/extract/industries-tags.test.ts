// Industries and tags. Sentences marked AA25-141A / AA25-163A are copied from those CISA
// advisories (public domain; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { extractIocs } from '../../../src/extract/index.js';

describe('industries', () => {
  it('AA25-141A: targets named in a sentence about targeting', () => {
    const { industries } = extractIocs(
      'This joint cybersecurity advisory (CSA) highlights a Russian state-sponsored cyber campaign targeting Western logistics entities and technology companies.',
      { html: false },
    );
    expect(industries).toEqual(['technology', 'transportation']);
  });

  it('AA25-141A: a list introduced as targets', () => {
    const text =
      'These actors have targeted entities associated with the following verticals within NATO member states, Ukraine, and at international organizations:\n\n' +
      '- Defense Industry\n\n- Transportation and Transportation Hubs (ports, airports, etc.)\n\n- Maritime\n\n- IT Services\n';
    expect(extractIocs(text, { html: false }).industries).toEqual(['technology', 'transportation', 'defense']);
  });

  it('AA25-163A: a software provider compromised through its customers', () => {
    const { industries } = extractIocs(
      'The Cybersecurity and Infrastructure Security Agency (CISA) is releasing this advisory in response to ransomware actors leveraging unpatched instances of a vulnerability in SimpleHelp Remote Monitoring and Management (RMM) to compromise customers of a utility billing software provider.',
      { html: false },
    );
    expect(industries).toEqual(['technology']);
  });

  it('the title is evidence', () => {
    expect(extractIocs('Nothing here.', { title: 'Ransomware hits hospitals across three states' }).industries).toEqual(['healthcare']);
  });

  it('a passing mention is not; neither is a contact section', () => {
    expect(extractIocs('The researcher once worked at a bank.', { html: false }).industries).toEqual([]);
    const contact = '<h2>Contact</h2><ul><li>Defense Industrial Base Inquiries and Cybersecurity Services: DIB_Defense@cyber.nsa.gov</li></ul>';
    expect(extractIocs(contact, { html: true }).industries).toEqual([]);
  });

  it('"IT" only in capitals: "it services" is a pronoun', () => {
    expect(extractIocs('The attack targeted the network because it services many clients.', { html: false }).industries).toEqual([]);
  });
});

describe('tags', () => {
  it('AA25-141A: actor names and aliases map to one tag', () => {
    const { tags } = extractIocs(
      'Military unit 26165—commonly known in the cybersecurity community as APT28, Fancy Bear, Forest Blizzard, BlueDelta, and a variety of other identifiers.',
      { html: false },
    );
    expect(tags).toEqual(['apt28']);
  });

  it('ransomware families; ambiguous names only with "ransomware"', () => {
    expect(extractIocs('LockBit affiliates deployed Cobalt Strike.', { html: false }).tags).toEqual(['cobalt strike', 'lockbit', 'ransomware']);
    expect(extractIocs('Users play games; the hive of activity grew.', { html: false }).tags).toEqual([]);
    expect(extractIocs('The Play ransomware group struck again.', { html: false }).tags).toEqual(['play', 'ransomware']);
  });

  it('numbered actor ids, not ATT&CK tactic ids', () => {
    expect(extractIocs('UNC3944 and TA505 overlap with FIN7; see tactic TA0043.', { html: false }).tags).toEqual(['fin7', 'ta505', 'unc3944']);
  });

  it('AA25-163A: "ransomware" when the article is about it', () => {
    const text =
      'CISA is releasing this advisory in response to ransomware actors leveraging unpatched instances of a vulnerability. Ransomware actors likely leveraged CVE-2024-57727.';
    expect(extractIocs(text, { html: false }).tags).toEqual(['ransomware']);
    expect(extractIocs('One mention of ransomware is not a topic.', { html: false }).tags).toEqual([]);
  });
});
