import type { PublishTarget } from '../../../release/publish.js';
import { flags, subcommandsOf, type Ctx, type FlagValues } from '../../command.js';
import type { Ask } from '../../prompt.js';

/** Every `hfx release` subcommand takes these. */
export const RELEASE_FLAGS = flags({ dir: { type: 'string' } });

export const subcommand = subcommandsOf<typeof RELEASE_FLAGS>();

/** --dir, else releases/ in the current directory. */
export function releasesDir(ctx: Ctx, values: FlagValues<typeof RELEASE_FLAGS>): string {
  return ctx.path(values.dir ?? 'releases');
}

export interface ReleaseCommandDeps {
  /**
   * Asks a question and resolves with the answer. When given, `release new` asks its questions
   * through it (unless --yes or --json); otherwise it asks on the terminal when stdin is one.
   */
  ask?: Ask | undefined;
  /** The clock for released_at and published_at. */
  now?: (() => Date) | undefined;
  /** Where `release publish` publishes besides the manifest file (and the server, with --server). */
  targets?: readonly PublishTarget[] | undefined;
}
