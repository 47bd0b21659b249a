/** Release notes in Markdown, for a hotfix (from its case and archive) and for an update level. Pure. */
import type { Selectable } from 'kysely';
import type { Database } from '../../store/schema.js';

/** The archive row as the store reads it, with the manifest fields the notes use. */
export type NotesArchive = Pick<
  Selectable<Database['archives']>,
  | 'id'
  | 'kind'
  | 'product'
  | 'release'
  | 'level'
  | 'to_level'
  | 'security'
  | 'title'
  | 'severity'
  | 'sha256'
  | 'signer'
  | 'includes'
> & {
  manifest: {
    description?: string;
    entries?: { path: string; op: string }[];
    requires?: string[];
    source?: { commits?: { sha: string; subject: string }[] } | null;
  };
};

export interface NotesCase {
  id: number;
  title: string;
  description: string;
  product: string;
  release: string | null;
  component: string | null;
  severity: string;
  priority: string;
  impact: string;
  impact_text: string;
  root_cause: string | null;
  customer_id: string | null;
  functional: { tests: number; failed: number; errors: number; skipped?: number; passed?: number } | null;
  regression: { tests: number; failed: number; errors: number; skipped?: number; passed?: number } | null;
}

const OPS: Record<string, string> = { add: 'added', modify: 'changed', delete: 'removed' };
const esc = (s: string) => s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
const MAX_FILES = 500;

function files(a: NotesArchive): string[] {
  const entries = a.manifest.entries ?? [];
  const lines = entries.slice(0, MAX_FILES).map((e) => `| \`${e.path.replace(/`/g, "'")}\` | ${OPS[e.op] ?? e.op} |`);
  return [
    '| file | change |',
    '|---|---|',
    ...lines,
    ...(entries.length > MAX_FILES
      ? [`| … | and ${entries.length - MAX_FILES} more (see \`hfx inspect ${a.id}.zip\`) |`]
      : []),
  ];
}

export function hotfixNotes(c: NotesCase, a: NotesArchive): string {
  const counts = (t: NotesCase['functional']) =>
    t
      ? `${t.passed ?? t.tests - t.failed - t.errors - (t.skipped ?? 0)}/${t.tests} passed${t.skipped ? `, ${t.skipped} skipped` : ''}`
      : 'not recorded';
  const commits = a.manifest.source?.commits ?? [];
  return [
    `# ${a.id}: ${esc(c.title)}`,
    '',
    `| | |`,
    '|---|---|',
    `| product | ${a.product} ${a.release}, update level ${a.level} |`,
    `| severity / priority | ${c.severity} / ${c.priority} |`,
    `| case | #${c.id}${c.component ? `, component ${esc(c.component)}` : ''} |`,
    ...(c.customer_id ? [`| customer | ${c.customer_id} |`] : []),
    `| archive sha256 | \`${a.sha256}\` |`,
    `| signed by | ${a.signer ? `\`${a.signer}\`` : 'unsigned'} |`,
    ...(a.manifest.requires?.length ? [`| requires | ${a.manifest.requires.join(', ')} |`] : []),
    '',
    '## Issue',
    '',
    esc(c.description) || '(no description)',
    '',
    `Impact (${c.impact}): ${esc(c.impact_text) || '—'}`,
    '',
    '## Fix',
    '',
    c.root_cause ? `Root cause: ${esc(c.root_cause)}` : 'Root cause: not recorded.',
    '',
    ...(a.manifest.description ? [esc(a.manifest.description), ''] : []),
    ...(commits.length
      ? ['Commits:', '', ...commits.map((k) => `- \`${k.sha.slice(0, 12)}\` ${esc(k.subject)}`), '']
      : []),
    `Tests: functional ${counts(c.functional)}; regression ${counts(c.regression)}.`,
    '',
    '## Files',
    '',
    ...files(a),
    '',
    '## Instructions',
    '',
    'Stop the product before applying and start it afterwards. hfx refuses to overwrite files that were changed locally and says which; nothing is changed then.',
    '',
    '## Apply',
    '',
    '```sh',
    `hfx apply ${a.id}.zip --home PACK --dry-run   # see what would change`,
    `hfx apply ${a.id}.zip --home PACK`,
    `# or, from the hfx server:  hfx apply ${a.id} --server --home PACK`,
    'hfx verify --home PACK',
    '```',
    '',
    '## Revert',
    '',
    '```sh',
    `hfx revert ${a.id} --home PACK`,
    'hfx verify --home PACK',
    '```',
    '',
  ].join('\n');
}

export function updateNotes(a: NotesArchive, included: { id: string; title: string; severity: string }[]): string {
  return [
    `# ${a.product} ${a.release}: update level ${a.to_level ?? '?'}${a.security ? ' (security)' : ''}`,
    '',
    esc(a.title),
    '',
    `From level ${a.level} to ${a.to_level ?? '?'}; archive \`${a.id}\`, sha256 \`${a.sha256}\`${a.signer ? `, signed by \`${a.signer}\`` : ''}.`,
    '',
    ...(a.manifest.description ? [esc(a.manifest.description), ''] : []),
    '## Hotfixes included',
    '',
    ...(a.includes.length
      ? [
          '| hotfix | title | severity |',
          '|---|---|---|',
          ...a.includes.map((id) => {
            const h = included.find((x) => x.id === id);
            return `| ${id} | ${h ? esc(h.title) : '—'} | ${h?.severity ?? '—'} |`;
          }),
        ]
      : ['None.']),
    '',
    '## Files',
    '',
    ...files(a),
    '',
    '## Apply',
    '',
    '```sh',
    `hfx update ${a.id}.zip --home PACK`,
    '# or: hfx update --server --home PACK',
    'hfx verify --home PACK',
    '```',
    '',
    '## Revert',
    '',
    '```sh',
    'hfx update --revert --home PACK',
    '```',
    '',
  ].join('\n');
}
