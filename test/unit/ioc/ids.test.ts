import { describe, expect, it } from 'vitest';
import { v5 as uuidV5, validate as isUuid, version as uuidVersion } from 'uuid';
import { SOCD_NAMESPACE, articleId, indicatorId, recordId } from '../../../src/ioc/index.js';
import { foreignArticleId } from '../../../src/ioc/ids.js';

describe('indicatorId', () => {
  it('is the UUIDv5 of type:normalized in our namespace', () => {
    const id = indicatorId('domain', 'evil.com');
    expect(isUuid(id) && uuidVersion(id)).toBe(5);
    expect(id).toBe(uuidV5('domain:evil.com', SOCD_NAMESPACE));
  });

  // Golden values, checked against Python's uuid.uuid5: if these change, every id ever
  // exported changes with them.
  it('never changes', () => {
    const evil = '48d6f069-b40c-5fe9-93fd-2755517193fb';
    expect(SOCD_NAMESPACE).toBe('3cfa6b68-5e35-4105-85fd-703a0ef34ce2');
    expect(indicatorId('domain', 'evil.com')).toBe(evil);
    expect(recordId(evil, 'urlhaus', null)).toBe('5b9d0bcc-eee1-564c-9825-fcc62845b3c3');
    expect(recordId(evil, 'bleepingcomputer', 'bd66e934-9e98-56b6-b615-c46b548f9e01')).toBe(
      '8e5d6435-1646-5e4d-bf52-2874f8fa8d62',
    );
  });

  it('separates types that share a value', () => {
    expect(indicatorId('md5', 'd41d8cd98f00b204e9800998ecf8427e')).not.toBe(
      indicatorId('sha1', 'd41d8cd98f00b204e9800998ecf8427e'),
    );
  });
});

describe('recordId', () => {
  const indicator = indicatorId('ipv4', '1.2.3.4');

  it('differs per source and per article, and is stable', () => {
    const ids = new Set([
      recordId(indicator, 'urlhaus', null),
      recordId(indicator, 'threatfox', null),
      recordId(indicator, 'urlhaus', 'a1'),
      recordId(indicator, 'urlhaus', 'a2'),
    ]);
    expect(ids.size).toBe(4);
    expect(recordId(indicator, 'urlhaus', 'a1')).toBe(recordId(indicator, 'urlhaus', 'a1'));
  });

  it('treats a null article as the empty string', () => {
    expect(recordId(indicator, 'urlhaus', null)).toBe(recordId(indicator, 'urlhaus', ''));
  });
});

describe('foreignArticleId', () => {
  // Golden value, checked against Python's uuid.uuid5: an imported foreign id keeps its article.
  it('is a stable UUIDv5 of the foreign id, apart from the ids of article URLs', () => {
    expect(foreignArticleId('abc123')).toBe('2c752874-5c0c-5994-bf45-4b2e5df7fd81');
    expect(foreignArticleId('abc123')).toBe(uuidV5('foreign-article:abc123', SOCD_NAMESPACE));
    expect(foreignArticleId('ABC123')).not.toBe(foreignArticleId('abc123'));
    expect(foreignArticleId('https://example.com/a')).not.toBe(articleId('https://example.com/a'));
  });
});
