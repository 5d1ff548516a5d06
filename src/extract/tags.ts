// Tags: malware families, threat actors and "ransomware", only when clearly named. A small
// reviewed table of well-known names (aliases map to one tag), the vendors' numbered actor ids
// (APT28, FIN7, UNC3944, TA505, Storm-0558), and "ransomware" when the article is about it.
// Words are looked up one by one in a map, so the cost is one pass over the text.

interface Name {
  /** The words of the name, lower case (`cobalt`, `strike`). */
  words: readonly string[];
  tags: readonly string[];
  /** The name is a common word too: only counts when this word follows (`Play ransomware`). */
  needsNext?: string;
}

/** name (as written, words separated by spaces) → tags. Reviewed: each is a family or an actor that reports name as such. */
const TABLE: readonly [string, readonly string[], string?][] = [
  // Threat actors (the tag is the best-known name; aliases map to it).
  ['APT28', ['apt28']],
  ['Fancy Bear', ['apt28']],
  ['Forest Blizzard', ['apt28']],
  ['Sofacy', ['apt28']],
  ['BlueDelta', ['apt28']],
  ['APT29', ['apt29']],
  ['Cozy Bear', ['apt29']],
  ['Midnight Blizzard', ['apt29']],
  ['Nobelium', ['apt29']],
  ['Sandworm', ['sandworm']],
  ['Seashell Blizzard', ['sandworm']],
  ['APT44', ['sandworm']],
  ['Turla', ['turla']],
  ['Secret Blizzard', ['turla']],
  ['Gamaredon', ['gamaredon']],
  ['Lazarus Group', ['lazarus']],
  ['Lazarus', ['lazarus']],
  ['Kimsuky', ['kimsuky']],
  ['APT41', ['apt41']],
  ['Volt Typhoon', ['volt typhoon']],
  ['Salt Typhoon', ['salt typhoon']],
  ['Scattered Spider', ['scattered spider']],
  ['Octo Tempest', ['scattered spider']],
  ['MuddyWater', ['muddywater']],
  ['OilRig', ['oilrig']],
  ['Charming Kitten', ['charming kitten']],
  // Ransomware families.
  ['LockBit', ['lockbit', 'ransomware']],
  ['ALPHV', ['alphv', 'ransomware']],
  ['BlackCat', ['alphv', 'ransomware']],
  ['Cl0p', ['clop', 'ransomware']],
  ['Clop', ['clop', 'ransomware'], 'ransomware'],
  ['Conti', ['conti', 'ransomware'], 'ransomware'],
  ['Black Basta', ['black basta', 'ransomware']],
  ['BlackSuit', ['blacksuit', 'ransomware']],
  ['Akira', ['akira', 'ransomware'], 'ransomware'],
  ['Medusa', ['medusa', 'ransomware'], 'ransomware'],
  ['DragonForce', ['dragonforce', 'ransomware']],
  ['RansomHub', ['ransomhub', 'ransomware']],
  ['Rhysida', ['rhysida', 'ransomware']],
  ['BianLian', ['bianlian', 'ransomware']],
  ['Ryuk', ['ryuk', 'ransomware']],
  ['REvil', ['revil', 'ransomware']],
  ['Sodinokibi', ['revil', 'ransomware']],
  ['Hive', ['hive', 'ransomware'], 'ransomware'],
  ['Royal', ['royal', 'ransomware'], 'ransomware'],
  ['Play', ['play', 'ransomware'], 'ransomware'],
  ['Qilin', ['qilin', 'ransomware']],
  ['8Base', ['8base', 'ransomware']],
  ['Phobos', ['phobos', 'ransomware'], 'ransomware'],
  ['Interlock', ['interlock', 'ransomware'], 'ransomware'],
  ['WannaCry', ['wannacry', 'ransomware']],
  ['DarkSide', ['darkside', 'ransomware']],
  // Malware families and offensive frameworks reports track as such.
  ['Emotet', ['emotet']],
  ['QakBot', ['qakbot']],
  ['Qbot', ['qakbot']],
  ['TrickBot', ['trickbot']],
  ['IcedID', ['icedid']],
  ['Cobalt Strike', ['cobalt strike']],
  ['Sliver', ['sliver'], 'c2'],
  ['Brute Ratel', ['brute ratel']],
  ['AsyncRAT', ['asyncrat']],
  ['Remcos', ['remcos']],
  ['Agent Tesla', ['agent tesla']],
  ['RedLine Stealer', ['redline']],
  ['Lumma Stealer', ['lumma']],
  ['LummaC2', ['lumma']],
  ['Vidar', ['vidar'], 'stealer'],
  ['SmokeLoader', ['smokeloader']],
  ['Pikabot', ['pikabot']],
  ['Latrodectus', ['latrodectus']],
  ['DarkGate', ['darkgate']],
  ['SocGholish', ['socgholish']],
  ['GootLoader', ['gootloader']],
  ['PlugX', ['plugx']],
  ['ShadowPad', ['shadowpad']],
  ['Mirai', ['mirai']],
  ['njRAT', ['njrat']],
  ['Formbook', ['formbook']],
  ['Dridex', ['dridex']],
  ['Ursnif', ['ursnif']],
  ['Raspberry Robin', ['raspberry robin']],
];

/** `APT28`, `FIN7`, `UNC3944`, `TA505` (not the ATT&CK tactic ids `TA0001`), `Storm-0558`, `DEV-0537`. */
const NUMBERED_ACTOR = /^(?:APT\d{1,3}|FIN\d{1,2}|UNC\d{3,5}|TA[1-9]\d{2}|Storm-\d{4}|DEV-\d{4})$/;
/** The first letters of NUMBERED_ACTOR: other words are not tested. */
const ACTOR_INITIALS = new Set([...'AFUTSD'].map((c) => c.charCodeAt(0)));
const MIN_RANSOMWARE_MENTIONS = 2;

const BY_FIRST_WORD = new Map<string, Name[]>();
for (const [written, tags, needsNext] of TABLE) {
  const words = written.toLowerCase().split(' ');
  const list = BY_FIRST_WORD.get(words[0] as string) ?? [];
  list.push(needsNext === undefined ? { words, tags } : { words, tags, needsNext });
  // Longer names first: "Lazarus Group" before "Lazarus".
  list.sort((a, b) => b.words.length - a.words.length);
  BY_FIRST_WORD.set(words[0] as string, list);
}

/** The shortest first word in the table (`Play`, `Hive`, `Ryuk`): shorter words are not looked up. */
const MIN_WORD = 4;
/**
 * Names are ASCII words of four letters or more; only the words that start as a name does
 * (its first three letters; a numbered actor's letters and first digit) are found.
 */
const startsOf = (words: Iterable<string>): string[] => [...new Set([...words].map((word) => word.slice(0, 3).toLowerCase()))];
const WORD = new RegExp(
  `\\b(?:${startsOf([...BY_FIRST_WORD.keys(), 'ransomware', 'storm', 'dev-'])
    .map((start) => start.replace(/[^a-z0-9]/g, '\\$&'))
    .join('|')}|apt\\d|fin\\d|unc\\d|ta[1-9])[A-Za-z0-9-]*`,
  'gi',
);
/** Longer words are no name ("ransomware" and "Latrodectus" are the longest). */
const MAX_WORD = 16;

/** Tags named in the texts (and the title), lower case, sorted. */
export function findTags(texts: readonly string[], title?: string): string[] {
  const tags = new Set<string>();
  let ransomwareMentions = 0;
  const nextWord = /[A-Za-z0-9][A-Za-z0-9-]*/y;
  /** Whether the words after `from` are `words` (lower case), separated by blanks. */
  const followedBy = (text: string, from: number, words: readonly string[]): boolean => {
    let position = from;
    for (const word of words) {
      while (text[position] === ' ') position++;
      nextWord.lastIndex = position;
      const match = nextWord.exec(text);
      if (match === null || match[0].toLowerCase() !== word) return false;
      position = nextWord.lastIndex;
    }
    return true;
  };
  for (const text of title === undefined ? texts : [title, ...texts]) {
    // The words that start as a name does, found by the regex engine (faster than a loop a
    // character here); one too short or too long to be a name is passed over without a copy.
    WORD.lastIndex = 0;
    for (let match = WORD.exec(text); match !== null; match = WORD.exec(text)) {
      const written = match[0];
      // `\b` is also the start of `0558` in `Storm-0558`: a word starts after no `-`.
      if (written.length < MIN_WORD || written.length > MAX_WORD || text.charCodeAt(match.index - 1) === 45 /* - */) continue;
      const word = written.toLowerCase();
      const end = match.index + written.length;
      if (word === 'ransomware') ransomwareMentions += text === title ? MIN_RANSOMWARE_MENTIONS : 1;
      if (ACTOR_INITIALS.has(written.charCodeAt(0)) && NUMBERED_ACTOR.test(written)) tags.add(word);
      for (const name of BY_FIRST_WORD.get(word) ?? []) {
        if (!followedBy(text, end, name.words.slice(1))) continue;
        if (name.needsNext !== undefined && !followedBy(text, end, [...name.words.slice(1), name.needsNext])) continue;
        for (const tag of name.tags) tags.add(tag);
        break;
      }
    }
  }
  if (ransomwareMentions >= MIN_RANSOMWARE_MENTIONS) tags.add('ransomware');
  return [...tags].sort();
}
