import { HfxError } from '../../../errors.js';
import { listReleases } from '../../../release/store.js';
import { releasesDir, subcommand } from './common.js';
import { summaryRow, table } from './print.js';

export const releaseList = subcommand({
  name: 'list',
  summary: 'every release, oldest first',
  run({ values }, ctx) {
    const { out } = ctx;
    const dir = releasesDir(ctx, values);
    const l = listReleases(dir);
    const [first] = l.invalid;
    if (first) {
      throw new HfxError(
        'HFX_E_MANIFEST',
        `${l.invalid.length} invalid release manifest${l.invalid.length > 1 ? 's' : ''}: ${first.error.message}`,
        {
          hint: 'Fix them (the fields are described in docs/releases.md); `hfx release show V` checks one.',
          details: l.invalid.map((x) => ({ file: x.file, error: x.error.toJSON() })),
        },
      );
    }
    for (const f of l.ignored) out.warn(`${f} is not named <version>.json: ignored`);
    out.result({ dir, releases: l.releases.map(summaryRow) });
    if (l.releases.length === 0) out.line(`no releases in ${dir}`);
    else {
      table(out, [
        ['VERSION', 'STATUS', 'RELEASED', 'BASE', 'CHANNELS'],
        ...l.releases.map((r) => [r.version, r.status, r.released_at, r.base ?? '-', r.channels.join(',') || '-']),
      ]);
    }
    return 0;
  },
});
