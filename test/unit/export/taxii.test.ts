// TAXII 2.1's pure parts: content negotiation (RFC 9110 Accept with TAXII's version parameter),
// the opaque `next` tokens, timestamps, the collections and the resources' shapes.
import { describe, expect, it } from 'vitest';
import { acceptsTaxii, collectionOf, COLLECTIONS, decodeNext, encodeNext, envelopeJson, isTimestamp, manifestJson, versionsJson } from '../../../src/export/taxii.js';
import { IOC_TYPES } from '../../../src/ioc/types.js';

describe('TAXII 2.1', () => {
  it('admits TAXII 2.1 or any type, and refuses other media types and versions', () => {
    for (const accept of [undefined, '', '*/*', 'application/*', 'application/taxii+json', 'application/taxii+json;version=2.1', 'application/taxii+json; version="2.1"', 'text/html, application/taxii+json;version=2.1;q=0.9']) {
      expect(acceptsTaxii(accept), String(accept)).toBe(true);
    }
    for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'application/stix+json;version=2.1', 'application/taxii+json;version=2.1;q=0', 'text/*']) {
      expect(acceptsTaxii(accept), accept).toBe(false);
    }
  });

  it('gives `next` tokens that decode to their time, and refuses others', () => {
    const at = '2026-12-06T21:05:03.123456Z';
    expect(decodeNext(encodeNext(at))).toBe(at);
    for (const token of ['', 'bm9wZQ', encodeNext('2026-02-30T00:00:00Z'), `${encodeNext(at)}=`, encodeNext('yesterday')]) expect(decodeNext(token), token).toBeUndefined();
    expect(isTimestamp('2026-12-06T21:05:03Z')).toBe(true);
    expect(isTimestamp('2026-12-06T21:05:03.5+01:00')).toBe(true);
    for (const value of ['2026-12-06', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-12-06T24:00:00Z', 'now']) expect(isTimestamp(value), value).toBe(false);
  });

  it('offers all indicators, high confidence and one collection per IOC type, each with a UUID of its own', () => {
    expect(COLLECTIONS.map((c) => c.alias)).toEqual(['indicators', 'high-confidence', ...IOC_TYPES]);
    expect(new Set(COLLECTIONS.map((c) => c.id)).size).toBe(COLLECTIONS.length);
    for (const c of COLLECTIONS) {
      expect(collectionOf(c.id)).toBe(c);
      expect(collectionOf(c.alias.toUpperCase())).toBe(c);
    }
    expect(collectionOf('nope')).toBeUndefined();
  });

  it('writes envelopes, manifests and versions with more and next, and nothing for an empty page', () => {
    const rows = [
      { date_added: '2026-12-06T21:05:03.000001Z', object_id: 'indicator--1', version: '2026-12-06T21:05:03.000Z', object: '{"id":"indicator--1"}' },
      { date_added: '2026-12-06T21:05:03.000002Z', object_id: 'indicator--2', version: '2026-12-06T21:05:03.000Z', object: '{"id":"indicator--2"}' },
    ];
    const envelope = JSON.parse(envelopeJson({ rows, more: true })) as { more: boolean; next: string; objects: unknown[] };
    expect(envelope.objects).toEqual([{ id: 'indicator--1' }, { id: 'indicator--2' }]);
    expect(decodeNext(envelope.next)).toBe(rows[1]!.date_added);
    expect(JSON.parse(envelopeJson({ rows: [], more: false }))).toEqual({ more: false });
    expect(JSON.parse(manifestJson({ rows, more: false })).objects[0]).toEqual({
      id: 'indicator--1',
      date_added: rows[0]!.date_added,
      version: rows[0]!.version,
      media_type: 'application/stix+json;version=2.1',
    });
    expect(JSON.parse(versionsJson({ rows, more: false }))).toEqual({ more: false, versions: [rows[0]!.version, rows[1]!.version] });
  });
});
