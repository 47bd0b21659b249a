import { readRelease, releaseFile } from '../../../release/store.js';
import { releasesDir, subcommand } from './common.js';
import { printRelease } from './print.js';

export const releaseShow = subcommand({
  name: 'show',
  summary: "one release's manifest, checked",
  args: ['V'],
  examples: ['$ hfx release show 1.7.1 --json'],
  run({ values, args: [v] }, ctx) {
    const { out } = ctx;
    const dir = releasesDir(ctx, values);
    const r = readRelease(dir, v);
    const file = releaseFile(dir, r.version);
    out.result({ release: r, file });
    printRelease(out, r, file);
    return 0;
  },
});
