import type { ReleaseDiff } from '../../../release/diff.js';
import type { ReleaseManifest } from '../../../release/schema.js';
import type { Output } from '../../output.js';

/** A release's row in `hfx release list --json`. */
export function summaryRow(r: ReleaseManifest): Record<string, unknown> {
  return {
    version: r.version,
    name: r.name,
    status: r.status,
    released_at: r.released_at,
    ...(r.published_at === undefined ? {} : { published_at: r.published_at }),
    ...(r.base === undefined ? {} : { base: r.base }),
    channels: r.channels,
  };
}

/** Rows padded to columns; the last column is not padded. */
export function table(out: Output, rows: string[][]): void {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  for (const r of rows) {
    out.line(
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
  }
}

export function printRelease(out: Output, r: ReleaseManifest, file: string): void {
  const { c } = out;
  out.line(
    `${c.bold(`${r.name} ${r.version}`)}  ${r.status === 'published' ? c.green('published') : c.yellow('draft')}   ${c.dim(file)}`,
  );
  const rows: [string, string][] = [
    ['released', r.released_at],
    ...(r.published_at ? [['published', r.published_at] satisfies [string, string]] : []),
    ['commit', r.commit],
    ...(r.base
      ? [
          ['base', r.base] satisfies [string, string],
          ['hotfixes', r.hotfixes?.length ? r.hotfixes.join(', ') : '-'] satisfies [string, string],
        ]
      : []),
    ['channels', r.channels.join(', ') || '-'],
  ];
  table(
    out,
    rows.map(([k, v]) => [`  ${k}`, v]),
  );
  out.line('  images:');
  const images = Object.entries(r.images);
  if (images.length)
    table(
      out,
      images.map(([k, v]) => [`    ${k}`, v]),
    );
  else out.line('    (none)');
  const comps = Object.entries(r.components);
  out.line('  components:');
  if (comps.length)
    table(
      out,
      comps.map(([k, v]) => [`    ${k}`, v]),
    );
  else out.line('    (none)');
  if (r.notes) {
    out.line('  notes:');
    for (const l of r.notes.split('\n')) out.line(`    ${l}`);
  }
}

export function printDiff(out: Output, d: ReleaseDiff): void {
  const { c } = out;
  if (d.same) {
    out.line('  no differences in images, components, channels, hotfixes, notes or commit');
    return;
  }
  for (const [title, m] of [
    ['images', d.images],
    ['components', d.components],
  ] as const) {
    if (m.added.length + m.removed.length + m.changed.length === 0) continue;
    out.line(`  ${title}:`);
    const rows: string[][] = [
      ...m.changed.map((x) => [`    ${c.yellow('~')} ${x.name}`, `${x.from} → ${x.to}`]),
      ...m.added.map((x) => [`    ${c.green('+')} ${x.name}`, x.value]),
      ...m.removed.map((x) => [`    ${c.red('-')} ${x.name}`, x.value]),
    ];
    table(out, rows);
  }
  for (const [title, l] of [
    ['channels', d.channels],
    ['hotfixes', d.hotfixes],
  ] as const) {
    if (l.added.length + l.removed.length === 0) continue;
    out.line(
      `  ${title}: ${[...l.added.map((x) => c.green(`+${x}`)), ...l.removed.map((x) => c.red(`-${x}`))].join(' ')}`,
    );
  }
  if (d.commit) out.line(`  commit: ${d.commit.from} → ${d.commit.to}`);
  if (d.notes) {
    out.line('  notes:');
    for (const l of d.notes.from ? d.notes.from.split('\n') : []) out.line(c.red(`    - ${l}`));
    for (const l of d.notes.to ? d.notes.to.split('\n') : []) out.line(c.green(`    + ${l}`));
  }
}
