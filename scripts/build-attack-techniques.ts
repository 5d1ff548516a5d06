// Builds src/ioc/data/attack-techniques.json, the compact ATT&CK technique table that
// src/ioc/attack.ts loads. Re-run on a newer ATT&CK release:
//   npx tsx scripts/build-attack-techniques.ts [path/to/enterprise-attack-vNN-techniques.json]
// The input is the condensed technique list kept in ../shared/fixtures/mitre-attack/.
// MITRE's licence asks every copy to carry its notice and licence, so those travel along.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_INPUT = path.resolve(
  REPO_ROOT,
  '../shared/fixtures/mitre-attack/enterprise-attack-v18.1-techniques.json',
);
const OUTPUT = path.join(REPO_ROOT, 'src/ioc/data/attack-techniques.json');

interface SourceTactic {
  id: string;
  shortname: string;
}
interface SourceTechnique {
  id: string;
  name: string;
  tactic_ids: string[];
  revoked: boolean;
  deprecated: boolean;
}
interface SourceFile {
  _source: string;
  _notice: string;
  _license: string;
  attack_version: string;
  tactics: SourceTactic[];
  techniques: SourceTechnique[];
}

function compactTechnique(technique: SourceTechnique, shortnames: Map<string, string>) {
  const tactics = technique.tactic_ids.map((tacticId) => {
    const shortname = shortnames.get(tacticId);
    if (!shortname) throw new Error(`${technique.id}: unknown tactic ${tacticId}`);
    return shortname;
  });
  const { id, name, revoked, deprecated } = technique;
  return { id, name, tactics, revoked, deprecated };
}

/** One technique per line: small, and a new release shows up as a readable diff. */
function formatOutput(source: SourceFile, techniques: ReturnType<typeof compactTechnique>[]): string {
  const header = {
    _source: source._source,
    _notice: source._notice,
    _license: source._license,
    attack_version: source.attack_version,
  };
  const headerLines = Object.entries(header).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  const techniqueLines = techniques.map((technique) => `    ${JSON.stringify(technique)}`);
  return ['{', ...headerLines, '  "techniques": [', techniqueLines.join(',\n'), '  ]', '}', ''].join('\n');
}

function main(inputPath: string): void {
  const source = JSON.parse(readFileSync(inputPath, 'utf8')) as SourceFile;
  if (!source._notice || !source._license) throw new Error(`${inputPath}: the MITRE notice and licence are missing`);
  const shortnames = new Map(source.tactics.map((tactic) => [tactic.id, tactic.shortname]));
  const techniques = source.techniques
    .map((technique) => compactTechnique(technique, shortnames))
    .sort((a, b) => a.id.localeCompare(b.id, 'en'));
  mkdirSync(path.dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, formatOutput(source, techniques));
  console.log(`wrote ${techniques.length} techniques (ATT&CK ${source.attack_version}) to ${path.relative(REPO_ROOT, OUTPUT)}`);
}

main(path.resolve(process.argv[2] ?? DEFAULT_INPUT));
