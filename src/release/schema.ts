// The release manifest: one JSON file per release, releases/<version>.json. docs/releases.md
// documents every field; the schema is strict (unknown fields are refused).

import { z } from 'zod';
import { HfxError } from '../errors.js';
import { NAME_RE, NAME_RULE } from '../names.js';
import { parseImageRef } from './reference.js';
import { isSemver } from '../version.js';

const Version = z.string().refine(isSemver, 'a semantic version such as 1.7.1');
const IsoDate = z.iso.datetime({ offset: true });
/** Image and component names: also used on the command line as NAME=VALUE. */
const COMPONENT_NAME_RE = /^[A-Za-z0-9@][A-Za-z0-9._/@+-]{0,127}$/;
export const IMAGE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const COMMIT_RE = /^[0-9a-f]{7,64}$/;
export const CHANNEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** No C0 control character or DEL. */
// eslint-disable-next-line no-control-regex -- the control characters are what the pattern refuses
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;
/** A component's version: 1 to 128 characters, none of them white space, a C0 control character or DEL. */
// eslint-disable-next-line no-control-regex -- the control characters are what the pattern refuses
export const COMPONENT_VERSION_RE = /^[^\s\u0000-\u001f\u007f]{1,128}$/;

const ImageName = z.string().regex(IMAGE_NAME_RE, 'letters, digits and . _ - (1 to 128)');
const ComponentName = z.string().regex(COMPONENT_NAME_RE, 'letters, digits and . _ / @ + - (1 to 128)');
const ComponentVersion = z.string().regex(COMPONENT_VERSION_RE, '1 to 128 characters without spaces');

/** A fully qualified image reference pinned by a tag, a digest or both. */
const ImageReference = z.string().superRefine((s, ctx) => {
  try {
    const r = parseImageRef(s);
    if (r.tag === undefined && r.digest === undefined)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(s)} has neither a tag nor a digest; a release pins one`,
      });
    else if (r.full !== s)
      ctx.addIssue({
        code: 'custom',
        message: `write the reference in full, with its registry: ${JSON.stringify(r.full)}`,
      });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

const unique = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((a) => new Set(a).size === a.length, 'must not repeat an entry');

const ReleaseManifestSchema = z
  .strictObject({
    name: z.string().min(1).max(200).regex(NO_CONTROL_CHARS, 'no control characters'),
    version: Version,
    status: z.enum(['draft', 'published']),
    published_at: IsoDate.optional(),
    base: Version.optional(),
    hotfixes: unique(z.string().regex(NAME_RE, NAME_RULE), 10_000).optional(),
    commit: z.string().regex(COMMIT_RE, '7 to 64 lower-case hex digits of a git commit'),
    released_at: IsoDate,
    notes: z.string().max(100_000),
    channels: unique(z.string().regex(CHANNEL_RE, 'letters, digits and . _ - (1 to 64)'), 100),
    images: z.record(ImageName, ImageReference),
    components: z.record(ComponentName, ComponentVersion),
  })
  .superRefine((m, ctx) => {
    if (m.status === 'published' && m.published_at === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['published_at'],
        message: 'a published release records when it was published',
      });
    if (m.status === 'draft' && m.published_at !== undefined)
      ctx.addIssue({ code: 'custom', path: ['published_at'], message: 'a draft has no published_at' });
    if ((m.base === undefined) !== (m.hotfixes === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [m.base === undefined ? 'base' : 'hotfixes'],
        message: 'a hotfix release has both base and hotfixes; other releases neither',
      });
    if (m.base !== undefined && m.base === m.version)
      ctx.addIssue({ code: 'custom', path: ['base'], message: 'a release cannot be its own base' });
  });

export type ReleaseManifest = z.infer<typeof ReleaseManifestSchema>;

/** Validates a parsed manifest; `file` names it in the error. */
export function parseReleaseManifest(raw: unknown, file: string): ReleaseManifest {
  const r = ReleaseManifestSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new HfxError('HFX_E_MANIFEST', `${file} is not a valid release manifest: ${first.join('; ')}`, {
      hint: 'Fix the file (the fields are described in docs/releases.md).',
      details: r.error.issues.slice(0, 20),
    });
  }
  return r.data;
}

/** The manifest as written to disk: fields in a fixed order, two-space indentation, a final newline. */
export function serializeRelease(m: ReleaseManifest): string {
  const ordered = {
    name: m.name,
    version: m.version,
    status: m.status,
    ...(m.published_at === undefined ? {} : { published_at: m.published_at }),
    ...(m.base === undefined ? {} : { base: m.base }),
    ...(m.hotfixes === undefined ? {} : { hotfixes: m.hotfixes }),
    commit: m.commit,
    released_at: m.released_at,
    notes: m.notes,
    channels: m.channels,
    images: m.images,
    components: m.components,
  };
  return JSON.stringify(ordered, null, 2) + '\n';
}
