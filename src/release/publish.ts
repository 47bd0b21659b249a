// Publishing a release: draft → published, recorded in the manifest itself.
//
// The seam for other places to publish to (the hfx server, later) is `PublishTarget`: each target
// given is told first, and the manifest file is marked published only after all of them
// succeeded, so a failure leaves a draft that can be published again.

import { HfxError } from '../errors.js';
import { parseReleaseManifest, type ReleaseManifest } from './schema.js';
import { readRelease, replaceRelease } from './store.js';

/** Somewhere a release is published besides its manifest file. */
export interface PublishTarget {
  /** Shown to the user and in --json output, e.g. "hfx-server https://hfx.example.com". */
  readonly name: string;
  /**
   * Publishes `release` (already with status "published" and published_at). Must be idempotent:
   * when a later target fails the manifest stays a draft, and the next publish calls it again.
   */
  publish(release: ReleaseManifest): Promise<void>;
}

export interface PublishOptions {
  dir: string;
  version: string;
  now?: (() => Date) | undefined;
  targets?: readonly PublishTarget[] | undefined;
}

export interface PublishedRelease {
  file: string;
  manifest: ReleaseManifest;
  /** The names of the targets published to, besides the manifest file. */
  targets: string[];
}

function alreadyPublished(m: ReleaseManifest): never {
  const at = String(m.published_at);
  throw new HfxError('HFX_E_ALREADY_PUBLISHED', `release ${m.version} is already published (at ${at})`, {
    hint: 'A published release does not change; make a new one with `hfx release new --base ' + m.version + '`.',
  });
}

export async function publishRelease(o: PublishOptions): Promise<PublishedRelease> {
  const draft = readRelease(o.dir, o.version);
  if (draft.status === 'published') alreadyPublished(draft);
  const published = parseReleaseManifest(
    { ...draft, status: 'published', published_at: (o.now ?? (() => new Date()))().toISOString() },
    `release ${draft.version}`,
  );
  const targets = o.targets ?? [];
  for (const t of targets) await t.publish(published);
  // Another publish may have finished while the targets ran.
  const current = readRelease(o.dir, o.version);
  if (current.status === 'published') alreadyPublished(current);
  const file = replaceRelease(o.dir, published);
  return { file, manifest: published, targets: targets.map((t) => t.name) };
}
