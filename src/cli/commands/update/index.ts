import { HfxError } from '../../../errors.js';
import { revertUpdate, updateHome, type Channel } from '../../../engine/ops/update.js';
import { appendEvents } from '../../../client/events.js';
import { downloadUpdates } from '../../../client/fetch-archive.js';
import { layout } from '../../../engine/home/layout.js';
import { HOME, int, type Command } from '../../command.js';
import { fetchOciArchive } from '../../../client/oci.js';
import { isOciSource } from '../../../oci/reference.js';
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryAccess } from '../../registry-flags.js';

export const updateCommand: Command = {
  name: 'update',
  summary: 'move the installation to a later update level (one archive, or a chain from a directory)',
  usage: 'hfx update [FILE.zip | oci://REGISTRY/REPO:ID | oci-layout:DIR:ID | --from DIR | --server] [--level N] [--channel full|security] [--dry-run] [--home DIR] | hfx update --revert',
  details: `Updates are cumulative archives (kind "update", made with \`hfx diff --kind update\`) from one
level to a later one. With --from, the chain from the installed level is taken from DIR, up to
--level N or the latest; the security channel takes only security updates.

Hotfixes the updates include are reverted for you; an applied hotfix they do NOT include stops the
update and is named, so no fix is lost silently. The whole chain is one transaction: a crash
leaves the installation at its old level with its hotfixes, or at the new one.

--revert goes back to the level before the last update (hotfixes applied since must be reverted
first). --channel alone switches the channel the installation follows.

An update archive pushed to a registry (\`hfx push FILE.zip --oci REGISTRY/REPO\`) is taken with
oci://REGISTRY/REPO:ID, or from an OCI layout with oci-layout:DIR:ID; it is checked as in
\`hfx apply oci://…\` and then as any update archive (docs/oci.md).
${REGISTRY_FLAGS_HELP}`,
  examples: [
    '$ hfx update wso2am-4.2.0-13.zip --home /opt/wso2am',
    '$ hfx update --from /srv/updates --level 20 --dry-run',
    '$ hfx update --from /srv/updates --channel security',
    '$ hfx update --revert --home /opt/wso2am',
    '$ hfx update --server --level 20 --home /opt/wso2am     # from the linked hfx server',
    '$ hfx update oci://registry.example.com/hfx/wso2am:wso2am-4.2.0-13 --home /opt/wso2am',
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
    ...REGISTRY_FLAGS,
  },
  async run({ values: v, positionals }, { io, out, home, path }) {
    const h = home(v['home']);
    if (positionals.length > 1) throw new HfxError('HFX_E_USAGE', 'give at most one update archive', { hint: 'See `hfx update --help`.' });
    if (v['revert']) {
      if (positionals.length || v['from'] || v['level'] || v['channel']) throw new HfxError('HFX_E_USAGE', '--revert takes no archive, --from, --level or --channel');
      const r = await revertUpdate({ home: h, dryRun: v['dry-run'] === true, onProgress: out.progress });
      out.result(r);
      out.line(`${out.c.green('✓')} ${r.dryRun ? 'would revert' : 'reverted'} ${r.reverted}: level ${r.fromLevel} → ${r.toLevel}`);
      return 0;
    }
    const channel = v['channel'] as string | undefined;
    if (channel !== undefined && channel !== 'full' && channel !== 'security') throw new HfxError('HFX_E_USAGE', '--channel must be full or security');
    if (v['server'] && (positionals.length || v['from'])) throw new HfxError('HFX_E_USAGE', '--server takes no archive and no --from');
    const fromOci = positionals[0] !== undefined && isOciSource(positionals[0]);
    const access = registryAccess(v, io.env, fromOci, 'update');
    const from = v['server'] ? await downloadUpdates(h, channel as Channel | undefined) : typeof v['from'] === 'string' ? path(v['from']) : undefined;
    const oci = fromOci ? await fetchOciArchive(h, positionals[0]!, access, path) : null;
    const r = await updateHome({
      home: h,
      ...(positionals[0] ? { archive: oci ? oci.file : path(positionals[0]) } : {}),
      ...(from ? { from } : {}),
      ...(v['level'] !== undefined ? { level: int(v['level'], 'level') } : {}),
      ...(channel ? { channel: channel as Channel } : {}),
      dryRun: v['dry-run'] === true,
      allowUnsigned: v['allow-unsigned'] === true,
      onProgress: out.progress,
    }).finally(() => oci?.cleanup());
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
};
