// Laws of the IOC core, checked on generated values of every type.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defang, detectIocType, normalizeIoc, parseIoc, refang, type IocType } from '../../../src/ioc/index.js';

const REAL_SUFFIXES = ['com', 'net', 'org', 'de', 'co.uk', 'com.au', 'zip', 'io', 'onion', 'github.io', 'xn--p1ai'];

/** fc.domain() invents TLDs; we put a real public suffix after it. */
const realDomain = fc
  .tuple(
    fc.domain().filter((name) => !/(?:^|\.)xn--/.test(name)),
    fc.constantFrom(...REAL_SUFFIXES),
  )
  .map(([name, suffix]) => `${name}.${suffix}`)
  .filter((name) => name.length <= 253);

const idnDomain = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'abcdeüöäßéñçø'), minLength: 1, maxLength: 12 }),
    fc.constantFrom(...REAL_SUFFIXES),
  )
  .map(([label, suffix]) => `${label}.${suffix}`);

const zeroPaddedIpv4 = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 4, maxLength: 4 })
  .map((octets) => octets.map(([octet, padded]) => (padded ? String(octet).padStart(3, '0') : String(octet))).join('.'));

function withOptionalPrefix(address: fc.Arbitrary<string>, maxPrefix: number): fc.Arbitrary<string> {
  return fc
    .tuple(address, fc.option(fc.integer({ min: 0, max: maxPrefix })))
    .map(([value, prefix]) => (prefix === null ? value : `${value}/${prefix}`));
}

function hexString(length: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });
}

const url = fc
  .record({
    scheme: fc.mixedCase(fc.constantFrom('http', 'https', 'ftp', 'ws', 'wss')),
    userinfo: fc.option(fc.constantFrom('user', 'user:secret', 'a%40b:c')),
    host: fc.oneof(fc.mixedCase(realDomain), fc.ipV4(), fc.ipV6().map((address) => `[${address}]`)),
    port: fc.option(fc.integer({ min: 0, max: 65535 })),
    path: fc.webPath(),
    query: fc.option(fc.webQueryParameters()),
    fragment: fc.option(fc.webFragments()),
  })
  .map(
    ({ scheme, userinfo, host, port, path, query, fragment }) =>
      `${scheme}://${userinfo === null ? '' : `${userinfo}@`}${host}${port === null ? '' : `:${port}`}` +
      `${path}${query === null ? '' : `?${query}`}${fragment === null ? '' : `#${fragment}`}`,
  );

/** Local parts holding a defang form (`a{.}b`) are changed by refanging, so are left out. */
const email = fc
  .tuple(fc.emailAddress(), fc.oneof(realDomain, idnDomain))
  .map(([address, domain]) => `${address.slice(0, address.lastIndexOf('@'))}@${domain}`)
  .filter((address) => address.length <= 254 && refang(address) === address);

const cve = fc
  .tuple(
    fc.integer({ min: 1999, max: 2099 }),
    fc.oneof(
      fc.integer({ min: 0, max: 9999 }).map((sequence) => String(sequence).padStart(4, '0')),
      fc.integer({ min: 10_000, max: 99_999_999 }).map(String),
    ),
  )
  .map(([year, sequence]) => `cve-${year}-${sequence}`);

const attackTechnique = fc
  .tuple(fc.integer({ min: 1000, max: 1999 }), fc.option(fc.integer({ min: 1, max: 999 })))
  .map(([technique, sub]) => `t${technique}${sub === null ? '' : `.${String(sub).padStart(3, '0')}`}`);

const VALID_VALUES: ReadonlyArray<readonly [IocType, fc.Arbitrary<string>]> = [
  ['ipv4', withOptionalPrefix(fc.oneof(fc.ipV4(), zeroPaddedIpv4), 32)],
  ['ipv6', withOptionalPrefix(fc.mixedCase(fc.ipV6()), 128)],
  ['domain', fc.oneof(fc.mixedCase(realDomain), idnDomain, realDomain.map((name) => `${name}.`))],
  ['url', url],
  ['email', fc.mixedCase(email)],
  ['md5', hexString(32)],
  ['sha1', hexString(40)],
  ['sha256', hexString(64)],
  ['sha512', hexString(128)],
  ['cve', fc.mixedCase(cve)],
  ['mitre_attack', fc.mixedCase(attackTechnique)],
];

/** Strings near the IOC alphabets, so that detection meets many almost-valid values. */
const iocLikeText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefxT.:/@[]()-%,; '), maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  ...VALID_VALUES.map(([, values]) => values),
);

function normalizedOrFail(type: IocType, raw: string) {
  const result = normalizeIoc(type, raw);
  if (!result.ok) throw new Error(`${type} ${JSON.stringify(raw)} refused: ${result.reason}`);
  return result.ioc;
}

describe.each(VALID_VALUES.map(([type, values]) => [type, values] as const))('%s', (type, values) => {
  it('normalization is idempotent, and a canonical value needs no change', () => {
    fc.assert(
      fc.property(values, (raw) => {
        const first = normalizedOrFail(type, raw);
        expect(normalizeIoc(type, first.value)).toEqual({
          ok: true,
          ioc: { type, value: first.value, normalized: first.normalized, notes: [] },
        });
        expect(normalizedOrFail(type, first.normalized).normalized).toBe(first.normalized);
      }),
    );
  });

  it('refang(defang(v)) === v for the value and the key', () => {
    fc.assert(
      fc.property(values, (raw) => {
        const { value, normalized } = normalizedOrFail(type, raw);
        expect(refang(defang(value))).toBe(value);
        expect(refang(defang(normalized))).toBe(normalized);
        expect(refang(defang(value, type))).toBe(value);
      }),
    );
  });

  it('detects the type of a generated value and of its canonical form', () => {
    fc.assert(
      fc.property(values, (raw) => {
        expect(detectIocType(raw)).toBe(type);
        expect(detectIocType(normalizedOrFail(type, raw).value)).toBe(type);
      }),
    );
  });

  it('parses a defanged value as the value itself', () => {
    fc.assert(
      fc.property(values, (raw) => {
        const plain = parseIoc(raw);
        const defanged = parseIoc(defang(raw));
        expect(plain.ok && defanged.ok).toBe(true);
        if (plain.ok && defanged.ok) {
          expect([defanged.ioc.type, defanged.ioc.value, defanged.ioc.normalized]).toEqual([
            plain.ioc.type,
            plain.ioc.value,
            plain.ioc.normalized,
          ]);
        }
      }),
    );
  });
});

describe('detection agrees with normalization', () => {
  it('a detected value normalizes as its type, and its canonical form is detected the same', () => {
    fc.assert(
      fc.property(iocLikeText, (text) => {
        const type = detectIocType(text);
        if (type === null) return;
        const { value } = normalizedOrFail(type, text);
        expect(detectIocType(value)).toBe(type);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('refang', () => {
  it('is idempotent on any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'[](){}.@:/\\dotahxps* ') })), (text) => {
        expect(refang(refang(text))).toBe(refang(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves text without brackets, backslashes or defanged schemes unchanged', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwyz0123456789 .,:;/@-_"\'') });
    fc.assert(
      fc.property(plain, (text) => {
        expect(refang(text)).toBe(text);
      }),
    );
  });
});
