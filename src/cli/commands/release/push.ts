import { currentLogin } from '../../../client/config.js';
import { readRelease } from '../../../release/store.js';
import { releasesDir, subcommand } from './common.js';
import { SERVER_FLAG } from './publish.js';

export const releasePush = subcommand({
  name: 'push',
  summary: 'send an already published release to the hfx server you last logged in to',
  args: ['V'],
  options: SERVER_FLAG,
  async run({ values, args: [v] }, ctx) {
    const { out } = ctx;
    const m = readRelease(releasesDir(ctx, values), v);
    const login = currentLogin(ctx.io.env);
    const r = await (await import('../../../client/release-manifests.js')).pushManifest(login, m);
    out.result({ release: r.manifest, server: login.url, existed: r.existed });
    out.line(
      `${out.c.green('✓')} release ${m.name} ${m.version} ${r.existed ? 'was already' : 'is now'} on ${login.url}`,
    );
    return 0;
  },
});
