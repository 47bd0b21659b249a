// Planning a new release from a base manifest: pure, no I/O. `checkChoices` validates what the
// user asked for against the base before anything runs; `planRelease` makes the new manifest once
// the builds have named their references.

import { HfxError } from '../errors.js';
import { NAME_RE, NAME_RULE } from '../names.js';
import { parseImageRef, type ImageRef } from './reference.js';
import { CHANNEL_RE, COMMIT_RE, COMPONENT_VERSION_RE, parseReleaseManifest, type ReleaseManifest } from './schema.js';
import { checkSemver, nextSemverPatch } from '../version.js';

/** What the user chose: from flags or from the prompts. */
export interface ReleaseChoices {
  /** The new version; default: the next patch of the base. */
  version?: string | undefined;
  /** Images to build, by name. */
  build: readonly string[];
  /** Images to change without building: name → reference as typed. */
  set: Readonly<Record<string, string>>;
  /** Components to change: name → version. */
  components: Readonly<Record<string, string>>;
  notes: string;
  /** Hotfix ids the new release adds to those of its base. */
  hotfixes: readonly string[];
  commit: string;
  /** Replaces the base's channels when given. */
  channels?: readonly string[] | undefined;
}

/** The choices, checked and normalised. */
export interface ReleasePlan {
  base: ReleaseManifest;
  version: string;
  build: string[];
  set: Record<string, ImageRef>;
  components: Record<string, string>;
  notes: string;
  hotfixes: string[];
  commit: string;
  channels: string[];
}

/** Splits NAME=VALUE arguments into a record; a name given twice must have one value. */
export function parseAssignments(args: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    const name = i < 0 ? '' : a.slice(0, i).trim();
    const value = i < 0 ? '' : a.slice(i + 1).trim();
    if (!name || !value)
      throw new HfxError('HFX_E_USAGE', `--${flag} takes NAME=VALUE, not ${JSON.stringify(a)}`, {
        hint: `e.g. --${flag} ${flag === 'set' ? 'api=registry.example.com/team/api:1.7.1' : 'schema=42'}`,
      });
    if (Object.hasOwn(out, name) && out[name] !== value)
      throw new HfxError('HFX_E_USAGE', `--${flag} ${name} is given twice with different values`);
    out[name] = value;
  }
  return out;
}

function unknown(kind: string, name: string, known: string[], base: string): never {
  throw new HfxError('HFX_E_NOT_FOUND', `release ${base} has no ${kind} named ${JSON.stringify(name)}`, {
    hint: known.length ? `Its ${kind}s: ${known.join(', ')}.` : `Release ${base} has no ${kind}s.`,
  });
}

export function checkChoices(base: ReleaseManifest, c: ReleaseChoices): ReleasePlan {
  const version = c.version === undefined ? nextSemverPatch(base.version) : checkSemver(c.version);
  if (version === base.version)
    throw new HfxError('HFX_E_RELEASE_EXISTS', `release ${version} already exists: it is the base`, {
      hint: 'Give another --version.',
    });

  const images = Object.keys(base.images);
  const build = [...new Set(c.build)];
  for (const n of build) if (!Object.hasOwn(base.images, n)) unknown('image', n, images, base.version);
  const set: Record<string, ImageRef> = {};
  for (const [n, ref] of Object.entries(c.set)) {
    if (!Object.hasOwn(base.images, n)) unknown('image', n, images, base.version);
    if (build.includes(n))
      throw new HfxError('HFX_E_USAGE', `image ${n} is both built (--build) and set (--set)`, {
        hint: 'Choose one: build it, or give its reference.',
      });
    const r = parseImageRef(ref);
    if (r.tag === undefined && r.digest === undefined)
      throw new HfxError('HFX_E_USAGE', `--set ${n}=${ref}: give a tag or a digest; a release pins the image`);
    set[n] = r;
  }
  const components: Record<string, string> = {};
  for (const [n, v] of Object.entries(c.components)) {
    if (!Object.hasOwn(base.components, n)) unknown('component', n, Object.keys(base.components), base.version);
    if (!COMPONENT_VERSION_RE.test(v)) {
      const what = `component version ${JSON.stringify(v)}`;
      throw new HfxError('HFX_E_USAGE', `${what} must be 1 to 128 characters without spaces`);
    }
    components[n] = v;
  }
  const commit = c.commit.toLowerCase();
  if (!COMMIT_RE.test(commit))
    throw new HfxError(
      'HFX_E_USAGE',
      `--commit ${JSON.stringify(c.commit)} is not a git commit id (7 to 64 hex digits)`,
    );
  for (const id of c.hotfixes)
    if (!NAME_RE.test(id)) throw new HfxError('HFX_E_USAGE', `hotfix id ${JSON.stringify(id)} must be ${NAME_RULE}`);
  const hotfixes = [...new Set([...(base.hotfixes ?? []), ...c.hotfixes])];
  const channels = c.channels === undefined ? [...base.channels] : [...new Set(c.channels)];
  for (const ch of channels)
    if (!CHANNEL_RE.test(ch))
      throw new HfxError('HFX_E_USAGE', `channel ${JSON.stringify(ch)} must be letters, digits and . _ - (1 to 64)`);
  if (c.notes.length > 100_000) throw new HfxError('HFX_E_USAGE', '--notes is longer than 100000 characters');
  return { base, version, build, set, components, notes: c.notes, hotfixes, commit, channels };
}

/** The new manifest: the base with the built and set images, the components, and the new metadata. */
export function planRelease(
  plan: ReleasePlan,
  built: Readonly<Record<string, ImageRef>>,
  releasedAt: string,
): ReleaseManifest {
  const { base } = plan;
  const images: Record<string, string> = {};
  for (const [n, ref] of Object.entries(base.images)) {
    if (plan.build.includes(n)) {
      const b = built[n];
      if (!b) throw new HfxError('HFX_E_INTERNAL', `image ${n} was to be built but has no reference`);
      images[n] = b.full;
    } else images[n] = plan.set[n]?.full ?? ref;
  }
  const manifest = {
    name: base.name,
    version: plan.version,
    status: 'draft' as const,
    base: base.version,
    hotfixes: plan.hotfixes,
    commit: plan.commit,
    released_at: releasedAt,
    notes: plan.notes,
    channels: plan.channels,
    images,
    components: { ...base.components, ...plan.components },
  };
  return parseReleaseManifest(manifest, `release ${plan.version}`);
}
