// Every `hfx` command line in the docs' code blocks (README.md and docs/*.md, shell blocks and
// examples alike) names a command that exists, and every --flag on it is one that command's --help
// lists. Examples with placeholder ids cannot run here; this is what keeps them from drifting.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hfx } from './helpers/cli.js';
import { ROOT } from './helpers/doc-blocks.js';

interface Use {
  file: string;
  line: string;
  /** The words after `hfx` up to the first that is not a command name. */
  words: string[];
  flags: string[];
}

/** The `hfx …` commands of a page's fenced blocks: continuations joined, comments dropped, `&&`, `;` and `|` split. */
function hfxUses(file: string, text: string): Use[] {
  const uses: Use[] = [];
  for (const m of text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) {
    for (const raw of (m[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n')) {
      const line = raw.replace(/(^|\s)#.*$/, '').trim();
      for (const part of line.split(/&&|\|\||;|\|/)) {
        const cmd = /^(?:\$\s+)?hfx\s+(.*)$/.exec(part.trim());
        if (!cmd) continue;
        const rest = (cmd[1] ?? '').split(/\s+/).filter(Boolean);
        const words: string[] = [];
        for (const w of rest) {
          if (!/^[a-z][a-z-]*$/.test(w) || words.length === 2) break;
          words.push(w);
        }
        uses.push({
          file,
          line: part.trim(),
          words,
          flags: rest.filter((w) => /^--[a-z][a-z0-9-]*(=|$)/.test(w)).map((w) => w.split('=')[0]!),
        });
      }
    }
  }
  return uses;
}

const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const uses = pages.flatMap((f) => hfxUses(f, readFileSync(join(ROOT, f), 'utf8')));

test('docs: the hfx command lines are found (continuations, comments, && and pipes)', () => {
  const u = hfxUses(
    'x.md',
    '```\nhfx rollout start HF-1 --steps 1,10 \\\n    --every 2h   # then\nhfx check --home /p && hfx apply X --server | tee log\n```\n',
  );
  assert.deepEqual(
    u.map((x) => [x.words.join(' '), x.flags.join(' ')]),
    [
      ['rollout start', '--steps --every'],
      ['check', '--home'],
      ['apply', '--server'],
    ],
  );
  assert.ok(uses.length >= 90, `only ${uses.length} hfx command lines found in ${pages.length} pages`);
});

test("docs: every hfx command line names a command, and every flag on it is in that command's --help", async () => {
  const help = new Map<string, string | null>();
  const helpOf = async (words: string[]): Promise<string | null> => {
    const k = words.join(' ');
    if (!help.has(k)) {
      const r = await hfx([...words, '--help']);
      help.set(k, r.code === 0 ? r.stdout + r.stderr : null);
    }
    return help.get(k) ?? null;
  };
  const wrong: string[] = [];
  for (const u of uses) {
    let text: string | null = null;
    let name = '';
    for (let n = u.words.length; n >= 1 && text === null; n--) {
      text = await helpOf(u.words.slice(0, n));
      name = u.words.slice(0, n).join(' ');
    }
    if (text === null) {
      wrong.push(`${u.file}: no command "hfx ${u.words.join(' ')}" in: ${u.line}`);
      continue;
    }
    for (const f of u.flags)
      if (!new RegExp(`${f}(?![a-z0-9-])`).test(text))
        wrong.push(`${u.file}: \`hfx ${name} --help\` does not list ${f}, used in: ${u.line}`);
  }
  assert.deepEqual(wrong, []);
});
