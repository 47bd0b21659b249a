import { currentLogin } from '../../../client/config.js';
import { publishRelease } from '../../../release/publish.js';
import { flags, type Subcommand } from '../../command.js';
import { releasesDir, subcommand, type ReleaseCommandDeps } from './common.js';

/** publish and push both take --server; push always goes to the server and ignores it. */
export const SERVER_FLAG = flags({ server: { type: 'boolean' } });

export function releasePublish(deps: ReleaseCommandDeps): Subcommand {
  return subcommand({
    name: 'publish',
    summary: 'mark a draft published (status and published_at in its manifest), with --server on the hfx server first',
    args: ['V'],
    usage: 'V [--server]',
    details: `With --server, the release goes to the server you last logged in to with \`hfx login URL --user NAME\`
(release-manager role) first; the manifest's name is the server's product, which must exist. The
draft stays a draft if the server refuses or cannot be reached.`,
    options: SERVER_FLAG,
    async run({ values, args: [v] }, ctx) {
      const { out } = ctx;
      const dir = releasesDir(ctx, values);
      // The login is looked up before anything is published, so a missing one changes nothing.
      const server =
        values.server === true
          ? (await import('../../../client/release-manifests.js')).serverTarget(currentLogin(ctx.io.env))
          : undefined;
      const targets = [...(deps.targets ?? []), ...(server ? [server] : [])];
      const r = await publishRelease({ dir, version: v, now: deps.now, targets });
      out.result({ release: r.manifest, file: r.file, targets: r.targets });
      const at = r.manifest.published_at ?? '?';
      out.line(`${out.c.green('✓')} release ${r.manifest.version} published at ${at} (${r.file})`);
      for (const t of r.targets) out.line(`  and to ${t}`);
      return 0;
    },
  });
}
