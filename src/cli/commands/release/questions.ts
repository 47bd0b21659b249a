// The questions `hfx release new` asks on a terminal when flags are missing: which release to
// hotfix from, which images to build, which other images to change and to what. The asking
// itself is a function given by the caller (cli/prompt.ts on a terminal, scripted answers in tests).

import { HfxError } from '../../../errors.js';
import { parseImageRef } from '../../../release/reference.js';
import { COMMIT_RE, type ReleaseManifest } from '../../../release/schema.js';
import type { Ask } from '../../prompt.js';

export interface Prompter {
  ask: Ask;
  /** Prints a line (lists, notes) before a question. */
  say(line: string): void;
}

/** How many times a question is asked again after an answer that is not understood. */
const RETRIES = 5;

/** What `understand` returns for an answer it cannot use: the question is asked again. */
class Again {
  constructor(readonly why: string) {}
}
const again = (why: string): Again => new Again(why);

async function askUntil<T>(p: Prompter, question: string, understand: (answer: string) => T | Again): Promise<T> {
  for (let i = 0; i <= RETRIES; i++) {
    const answer = (await p.ask(question)).trim();
    const r = understand(answer);
    if (!(r instanceof Again)) return r;
    p.say(`  ${r.why}`);
  }
  throw new HfxError('HFX_E_USAGE', 'no usable answer; nothing was written', {
    hint: 'Give the choices as flags: see `hfx release new --help`.',
  });
}

/** "1 3", "1,3", "1-3", names, or "all" → the chosen items; a string says what is wrong. */
export function parseSelection(answer: string, items: readonly string[]): string[] | string {
  if (answer === '') return [];
  if (answer.toLowerCase() === 'all') return [...items];
  const chosen: string[] = [];
  for (const tok of answer.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(tok);
    const nums = range ? [Number(range[1]), Number(range[2])] : /^\d+$/.test(tok) ? [Number(tok), Number(tok)] : null;
    if (nums) {
      const [a, b] = nums as [number, number];
      if (a < 1 || b > items.length || a > b) return `${tok} is not between 1 and ${items.length}`;
      chosen.push(...items.slice(a - 1, b));
    } else if (items.includes(tok)) chosen.push(tok);
    else return `${JSON.stringify(tok)} is not one of the numbers or names listed`;
  }
  return [...new Set(chosen)];
}

const orAgain = (r: string[] | string): string[] | Again => (typeof r === 'string' ? again(r) : r);

/** Which release to hotfix from: a numbered list, oldest first; Enter takes the newest published one. */
export async function promptBase(p: Prompter, releases: readonly ReleaseManifest[]): Promise<string> {
  const newest = releases[releases.length - 1];
  if (!newest) {
    throw new HfxError('HFX_E_NOT_FOUND', 'there are no releases to hotfix from', {
      hint: 'Add a manifest releases/<version>.json (see docs/releases.md).',
    });
  }
  const dflt = [...releases].reverse().find((r) => r.status === 'published') ?? newest;
  p.say('Releases:');
  releases.forEach((r, i) =>
    p.say(`  ${String(i + 1).padStart(2)}) ${r.version}  ${r.status}${r.base ? `  (hotfix of ${r.base})` : ''}`),
  );
  return askUntil(p, `Which release do you hotfix from? [1-${releases.length}, Enter for ${dflt.version}] `, (a) => {
    if (a === '') return dflt.version;
    const byVersion = releases.find((r) => r.version === a);
    if (byVersion) return byVersion.version;
    const n = /^\d+$/.test(a) ? Number(a) : NaN;
    return releases[n - 1]?.version ?? again(`answer a number from 1 to ${releases.length} or a version`);
  });
}

/** Which images to build, among those with a build command. */
export async function promptBuilds(
  p: Prompter,
  base: ReleaseManifest,
  buildable: readonly string[],
): Promise<string[]> {
  const items = Object.keys(base.images).filter((n) => buildable.includes(n));
  if (items.length === 0) {
    p.say('No image of this release has a build command (releases/hfx-release.config.json): nothing to build.');
    return [];
  }
  p.say('Images with a build command:');
  items.forEach((n, i) => p.say(`  ${String(i + 1).padStart(2)}) ${n}  ${base.images[n] ?? ''}`));
  return askUntil(p, 'Which images do you build? [numbers such as 1 3 or 1-2, all, Enter for none] ', (a) =>
    orAgain(parseSelection(a, items)),
  );
}

/** Which other images to change, and to what reference. */
export async function promptSets(
  p: Prompter,
  base: ReleaseManifest,
  building: readonly string[],
): Promise<Record<string, string>> {
  const items = Object.keys(base.images).filter((n) => !building.includes(n));
  if (items.length === 0) return {};
  p.say(building.length ? 'Other images:' : 'Images:');
  items.forEach((n, i) => p.say(`  ${String(i + 1).padStart(2)}) ${n}  ${base.images[n] ?? ''}`));
  const chosen = await askUntil(
    p,
    `Which ${building.length ? 'other ' : ''}images do you change to another version? [numbers, Enter for none] `,
    (a) => orAgain(parseSelection(a, items)),
  );
  const out: Record<string, string> = {};
  for (const n of chosen) {
    out[n] = await askUntil(p, `New reference for ${n} (now ${base.images[n] ?? ''}): `, (a) => {
      try {
        const r = parseImageRef(a);
        return r.tag === undefined && r.digest === undefined ? again('give a tag or a digest') : r.full;
      } catch (e) {
        return again((e as Error).message);
      }
    });
  }
  return out;
}

export async function promptCommit(p: Prompter): Promise<string> {
  return askUntil(p, 'Which commit is the release built from? (git SHA) ', (a) =>
    COMMIT_RE.test(a.toLowerCase()) ? a.toLowerCase() : again('answer a git commit id: 7 to 64 hex digits'),
  );
}

export async function confirm(p: Prompter, question: string): Promise<boolean> {
  return askUntil(p, `${question} [Y/n] `, (a) =>
    /^(y|yes|)$/i.test(a) ? true : /^(n|no)$/i.test(a) ? false : again('answer y or n'),
  );
}
