import { HfxError } from '../../../errors.js';
import { layout, revertUpdate, updateHome } from '../../../engine/index.js';
import { appendEvents } from '../../../client/events.js';
import { downloadUpdates } from '../../../client/fetch-archive.js';
import { HOME, choice, defineCommand, int } from '../../command.js';

export const updateCommand = defineCommand({
  name: 'update',
  summary: 'move the installation to a later update level (one archive, or a chain from a directory)',
  usage: 'hfx update [FILE.zip | --from DIR | --server] [--level N] [--channel full|security] [--dry-run] [--home DIR] | hfx update --revert',
  details: `Updates are cumulative archives (kind "update", made with \`hfx diff --kind update\`) from one
level to a later one. With --from, the chain from the installed level is taken from DIR, up to
--level N or the latest; the security channel takes only security updates.

Hotfixes the updates include are reverted for you; an applied hotfix they do NOT include stops the
update and is named, so no fix is lost silently. The whole chain is one transaction: a crash
leaves the installation at its old level with its hotfixes, or at the new one.

--revert goes back to the level before the last update (hotfixes applied since must be reverted
first). --channel alone switches the channel the installation follows.`,
  examples: [
    '$ hfx update wso2am-4.2.0-13.zip --home /opt/wso2am',
    '$ hfx update --from /srv/updates --level 20 --dry-run',
    '$ hfx update --from /srv/updates --channel security',
    '$ hfx update --revert --home /opt/wso2am',
    '$ hfx update --server --level 20 --home /opt/wso2am     # from the linked hfx server',
  ],
  options: {
    ...HOME,
    from: { type: 'string' },
    level: { type: 'string' },
    channel: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'allow-unsigned': { type: 'boolean' },
    revert: { type: 'boolean' },
    server: { type: 'boolean' },
  },
  args: ['[FILE.zip]'],
  async run({ values: v, args: [archive] }, { out, home, path }) {
    const h = home(v.home);
    if (v.revert) {
      if (archive !== undefined || v.from || v.level || v.channel) throw new HfxError('HFX_E_USAGE', '--revert takes no archive, --from, --level or --channel');
      const r = await revertUpdate({ home: h, dryRun: v['dry-run'] === true, onProgress: out.progress });
      out.result(r);
      out.line(`${out.c.green('✓')} ${r.dryRun ? 'would revert' : 'reverted'} ${r.reverted}: level ${r.fromLevel} → ${r.toLevel}`);
      return 0;
    }
    const channel = choice(v.channel, ['full', 'security']);
    if (v.channel !== undefined && channel === undefined) throw new HfxError('HFX_E_USAGE', '--channel must be full or security');
    if (v.server && (archive !== undefined || v.from)) throw new HfxError('HFX_E_USAGE', '--server takes no archive and no --from');
    const from = v.server ? await downloadUpdates(h, channel) : v.from !== undefined ? path(v.from) : undefined;
    const r = await updateHome({
      home: h,
      ...(archive ? { archive: path(archive) } : {}),
      ...(from ? { from } : {}),
      ...(v.level !== undefined ? { level: int(v.level, 'level') } : {}),
      ...(channel ? { channel } : {}),
      dryRun: v['dry-run'] === true,
      allowUnsigned: v['allow-unsigned'] === true,
      onProgress: out.progress,
    });
    if (!r.dryRun) appendEvents(layout(h), [...r.reverted.map((id) => ({ kind: 'reverted' as const, archive: id, reason: `included in ${r.applied.join(', ')}` })), ...r.applied.map((id) => ({ kind: 'updated' as const, archive: id }))]);
    out.result(r);
    if (r.applied.length === 0) {
      out.line(`${out.c.green('✓')} already at the latest level the updates reach (${r.toLevel}, channel ${r.channel})`);
      return 0;
    }
    out.line(`${out.c.green('✓')} ${r.dryRun ? 'would update' : 'updated'} level ${r.fromLevel} → ${r.toLevel} with ${r.applied.join(', ')} (${r.changes} changes)`);
    if (r.reverted.length) out.line(`  reverted the hotfixes it includes: ${r.reverted.join(', ')}`);
    return 0;
  },
});
