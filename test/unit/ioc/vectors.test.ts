// The published normalization vectors (test/fixtures/normalization-vectors.json) are the
// per-type table: every accepted and rejected example, grouped by type here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  IOC_TYPES,
  normalizeIoc,
  parseIoc,
  type IocType,
  type NormalizationNote,
} from '../../../src/ioc/index.js';

interface AcceptedVector {
  input: string;
  given_type?: IocType;
  type: IocType;
  value: string;
  normalized: string;
  notes: NormalizationNote[];
}
interface RejectedVector {
  input: string;
  given_type?: IocType;
  reason: string;
}
interface VectorFile {
  accepted: AcceptedVector[];
  rejected: RejectedVector[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/normalization-vectors.json', import.meta.url), 'utf8'),
) as VectorFile;

function parseAs(input: string, givenType: IocType | undefined) {
  return givenType === undefined ? parseIoc(input) : normalizeIoc(givenType, input);
}

describe('normalization vectors', () => {
  it('cover every type', () => {
    const covered = new Set(vectors.accepted.map((vector) => vector.type));
    expect([...IOC_TYPES].filter((type) => !covered.has(type))).toEqual([]);
  });

  describe.each(IOC_TYPES.map((type) => [type]))('%s accepted', (type) => {
    const table = vectors.accepted.filter((vector) => vector.type === type);
    it.each(table.map((vector) => [JSON.stringify(vector.input), vector]))('%s', (_label, vector) => {
      expect(parseAs(vector.input, vector.given_type)).toEqual({
        ok: true,
        ioc: { type: vector.type, value: vector.value, normalized: vector.normalized, notes: vector.notes },
      });
      // The type given explicitly gives the same answer as detection.
      const explicit = normalizeIoc(vector.type, vector.input);
      expect(explicit.ok && explicit.ioc.normalized).toBe(vector.normalized);
    });
  });

  describe('rejected', () => {
    it.each(vectors.rejected.map((vector) => [JSON.stringify(vector.input), vector.given_type ?? 'detected', vector]))(
      '%s as %s',
      (_label, _type, vector) => {
        expect(parseAs(vector.input, vector.given_type)).toEqual({ ok: false, reason: vector.reason });
      },
    );
  });
});
