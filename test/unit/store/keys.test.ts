import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, isKeyId, KEY_PATTERN, KEY_PREFIX } from '../../../src/store/keys.js';

describe('generateApiKey', () => {
  it('makes sk_live_ and 40 base62 characters', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey();
      expect(key).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
      expect(key.startsWith(KEY_PREFIX)).toBe(true);
      expect(KEY_PATTERN.test(key)).toBe(true);
    }
  });

  it('never repeats itself', () => {
    const keys = new Set(Array.from({ length: 5000 }, () => generateApiKey()));
    expect(keys.size).toBe(5000);
  });

  it('uses the whole alphabet, about evenly (no modulo bias to speak of)', () => {
    const counts = new Map<string, number>();
    const n = 2000;
    for (let i = 0; i < n; i++) for (const c of generateApiKey().slice(KEY_PREFIX.length)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 80,000 characters over 62 symbols: about 1290 each; a biased generator (byte % 62 without
    // rejection) would give the first 8 symbols about 1.24 times the others.
    const expected = (n * 40) / 62;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.85);
      expect(count).toBeLessThan(expected * 1.15);
    }
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 of the key', () => {
    const key = generateApiKey();
    expect(hashApiKey(key).toString('hex')).toBe(crypto.createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toHaveLength(32);
  });
});

describe('isKeyId', () => {
  it('takes a UUID as PostgreSQL writes it, and nothing else', () => {
    expect(isKeyId(crypto.randomUUID())).toBe(true);
    expect(isKeyId(crypto.randomUUID().toUpperCase())).toBe(true);
    for (const bad of ['', 'not-an-id', '-'.repeat(36), `urn:uuid:${crypto.randomUUID()}`, `${crypto.randomUUID()}0`, crypto.randomUUID().replace(/-/g, '')]) {
      expect(isKeyId(bad), bad).toBe(false);
    }
  });
});
