// A CEF checker written from the ArcSight CEF specification (../shared/spec/formats.md), not from
// our writer: an independent oracle. It reads a file of events, one a line, and says what is
// wrong with each; `parseCefLine` gives a valid event's header fields and extension unescaped.

/** The extension keys of the CEF dictionary this project may meet (custom fields and their labels included). */
const DICTIONARY = new Set([
  'act', 'app', 'cat', 'cnt', 'cs1', 'cs2', 'cs3', 'cs4', 'cs5', 'cs6', 'cn1', 'cn2', 'cn3', 'c6a1', 'c6a2', 'c6a3', 'c6a4',
  'deviceCustomDate1', 'deviceCustomDate2', 'dhost', 'dpt', 'dst', 'dvc', 'dvchost', 'duser', 'end', 'externalId',
  'fileHash', 'filePath', 'fname', 'flexString1', 'flexString2', 'msg', 'outcome', 'proto', 'request', 'requestMethod',
  'rt', 'shost', 'spt', 'src', 'start', 'suser', 'type',
]);
const LABELLED = /^(?:cs[1-6]|cn[1-3]|c6a[1-4]|deviceCustomDate[12]|flexString[12])$/;
const SEVERITY_WORDS = new Set(['Unknown', 'Low', 'Medium', 'High', 'Very-High']);
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV4_KEYS = new Set(['src', 'dst', 'dvc']);
const PORT_KEYS = new Set(['spt', 'dpt']);
const TIME_KEYS = new Set(['rt', 'start', 'end', 'deviceCustomDate1', 'deviceCustomDate2']);
/** An optional syslog prefix: `Sep 19 08:26:10 host `. */
const SYSLOG_PREFIX = /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ )?/;

export interface CefEvent {
  header: string[];
  extension: Map<string, string>;
}

/** Splits on `sep` where it is not escaped by a backslash; returns undefined on a bad escape. */
function splitHeader(text: string): { fields: string[]; rest: string } | undefined {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== '\\' && next !== '|') return undefined;
      field += next;
      i++;
    } else if (c === '|') {
      fields.push(field);
      field = '';
      if (fields.length === 7) return { fields, rest: text.slice(i + 1) };
    } else {
      field += c;
    }
  }
  return { fields: [...fields, field], rest: '' };
}

/** The extension: `key=value` pairs, a value running to the next ` key=`; errors for bad escapes and stray `=`. */
function parseExtension(text: string, errors: string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  if (text.trim() === '') return pairs;
  // Unescaped `=` positions: each must end a key that follows the start or a space.
  const equals: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === '=') equals.push(i);
  }
  const starts: { key: string; keyStart: number; valueStart: number }[] = [];
  for (const at of equals) {
    const keyStart = Math.max(text.lastIndexOf(' ', at - 1) + 1, 0);
    const key = text.slice(keyStart, at);
    if (!/^[A-Za-z0-9_]+$/.test(key)) {
      errors.push(`unescaped "=" in a value (before ${JSON.stringify(text.slice(Math.max(0, at - 12), at + 1))})`);
      continue;
    }
    starts.push({ key, keyStart, valueStart: at + 1 });
  }
  if (starts.length === 0 || starts[0]!.keyStart !== 0) errors.push('the extension does not start with a key');
  starts.forEach(({ key, valueStart }, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]!.keyStart - 1 : text.length;
    const raw = text.slice(valueStart, Math.max(valueStart, end));
    let value = '';
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j] as string;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const next = raw[j + 1];
      if (next === '\\' || next === '=') value += next;
      else if (next === 'n') value += '\n';
      else if (next === 'r') value += '\r';
      else errors.push(`bad escape "\\${next ?? ''}" in ${key}`);
      j++;
    }
    if (pairs.has(key)) errors.push(`duplicate key ${key}`);
    if (!DICTIONARY.has(key) && !key.endsWith('Label')) errors.push(`key ${key} is not in the CEF dictionary`);
    if (key.endsWith('Label') && !DICTIONARY.has(key.slice(0, -'Label'.length))) errors.push(`label ${key} of no dictionary field`);
    if (IPV4_KEYS.has(key) && !IPV4.test(value)) errors.push(`${key} is not an IPv4 address: ${value}`);
    if (PORT_KEYS.has(key) && !(/^\d{1,5}$/.test(value) && Number(value) <= 65535)) errors.push(`${key} is not a port: ${value}`);
    if (TIME_KEYS.has(key) && !/^\d{10,13}$/.test(value) && !/^[A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d/.test(value)) errors.push(`${key} is not a CEF time: ${value}`);
    pairs.set(key, value);
  });
  for (const key of pairs.keys()) {
    if (LABELLED.test(key) && !pairs.has(`${key}Label`)) errors.push(`${key} without ${key}Label`);
  }
  return pairs;
}

/** What is wrong with one line (empty when it is a valid CEF event), and the event. */
export function checkCefLine(line: string): { errors: string[]; event?: CefEvent } {
  const errors: string[] = [];
  const body = line.slice(SYSLOG_PREFIX.exec(line)?.[0].length ?? 0);
  if (!body.startsWith('CEF:')) return { errors: ['not a CEF event (no "CEF:" after the syslog prefix)'] };
  const split = splitHeader(body.slice('CEF:'.length));
  if (split === undefined) return { errors: ['bad escape in the header (only \\| and \\\\)'] };
  const { fields, rest } = split;
  if (fields.length !== 7) return { errors: [`the header has ${fields.length} fields, not 7`] };
  const [version, vendor, product, deviceVersion, classId, name, severity] = fields as [string, string, string, string, string, string, string];
  if (version !== '0' && version !== '1') errors.push(`version ${version} is neither 0 nor 1`);
  for (const [label, value] of [['vendor', vendor], ['product', product], ['device version', deviceVersion], ['event class id', classId], ['name', name]]) {
    if (value === '') errors.push(`empty ${label}`);
  }
  const numeric = /^\d{1,2}$/.test(severity) ? Number(severity) : undefined;
  if (!(numeric !== undefined && numeric <= 10) && !SEVERITY_WORDS.has(severity)) errors.push(`severity ${severity} is neither 0–10 nor a CEF word`);
  const extension = parseExtension(rest, errors);
  return errors.length === 0 ? { errors, event: { header: fields, extension } } : { errors };
}

/** Every line's errors, as `line N: …` (empty when the whole file is valid CEF). */
export function checkCef(text: string): string[] {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.flatMap((line, i) => checkCefLine(line).errors.map((error) => `line ${i + 1}: ${error}`));
}
