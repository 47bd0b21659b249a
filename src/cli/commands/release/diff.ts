import { diffReleases } from '../../../release/diff.js';
import { readRelease } from '../../../release/store.js';
import { releasesDir, subcommand } from './common.js';
import { printDiff } from './print.js';

export const releaseDiff = subcommand({
  name: 'diff',
  summary: 'images, components, channels, hotfixes, notes and commit that differ between two releases',
  args: ['V1', 'V2'],
  run({ values, args: [a, b] }, ctx) {
    const { out } = ctx;
    const dir = releasesDir(ctx, values);
    const d = diffReleases(readRelease(dir, a), readRelease(dir, b));
    out.result(d);
    out.line(out.c.bold(`${d.from} → ${d.to}`));
    printDiff(out, d);
    return 0;
  },
});
