// What changed between two release manifests (pure).

import type { ReleaseManifest } from './schema.js';

export interface MapDiff {
  added: { name: string; value: string }[];
  removed: { name: string; value: string }[];
  changed: { name: string; from: string; to: string }[];
}

export interface ListDiff {
  added: string[];
  removed: string[];
}

export interface Change {
  from: string;
  to: string;
}

export interface ReleaseDiff {
  from: string;
  to: string;
  images: MapDiff;
  components: MapDiff;
  channels: ListDiff;
  hotfixes: ListDiff;
  notes: Change | null;
  commit: Change | null;
  /** True when none of the above changed. */
  same: boolean;
}

function diffMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): MapDiff {
  const out: MapDiff = { added: [], removed: [], changed: [] };
  for (const [name, value] of Object.entries(a)) {
    const to = Object.hasOwn(b, name) ? b[name] : undefined;
    if (to === undefined) out.removed.push({ name, value });
    else if (to !== value) out.changed.push({ name, from: value, to });
  }
  for (const [name, value] of Object.entries(b)) if (!Object.hasOwn(a, name)) out.added.push({ name, value });
  const byName = (x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  out.added.sort(byName);
  out.removed.sort(byName);
  out.changed.sort(byName);
  return out;
}

function diffList(a: readonly string[], b: readonly string[]): ListDiff {
  return { added: b.filter((x) => !a.includes(x)), removed: a.filter((x) => !b.includes(x)) };
}

const change = (a: string, b: string): Change | null => (a === b ? null : { from: a, to: b });

export function diffReleases(a: ReleaseManifest, b: ReleaseManifest): ReleaseDiff {
  const d = {
    from: a.version,
    to: b.version,
    images: diffMap(a.images, b.images),
    components: diffMap(a.components, b.components),
    channels: diffList(a.channels, b.channels),
    hotfixes: diffList(a.hotfixes ?? [], b.hotfixes ?? []),
    notes: change(a.notes, b.notes),
    commit: change(a.commit, b.commit),
  };
  const empty = (m: MapDiff) => m.added.length + m.removed.length + m.changed.length === 0;
  const same =
    empty(d.images) &&
    empty(d.components) &&
    d.channels.added.length + d.channels.removed.length + d.hotfixes.added.length + d.hotfixes.removed.length === 0 &&
    !d.notes &&
    !d.commit;
  return { ...d, same };
}
