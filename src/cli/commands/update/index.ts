import { HfxError } from '../../../errors.js';
import { healthReason, layout, revertUpdate, updateHome } from '../../../engine/index.js';
import { appendEvents } from '../../../client/events.js';
import { HOME, choice, defineCommand, int } from '../../command.js';
import { HEALTH_FLAGS, healthOf, reportIfLinked } from '../../health.js';
import { isOciSource } from '../../../oci/reference.js';
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryAccess } from '../../registry-flags.js';

export const updateCommand = defineCommand({
  name: 'update',
  summary: 'move the installation to a later update level (one archive, or a chain from a directory)',
  usage:
    'hfx update [FILE.zip | oci://REGISTRY/REPO:ID | oci-layout:DIR:ID | --from DIR | --server] [--level N] ' +
    '[--channel full|security] [--dry-run] [--home DIR] [--health CMD [--health-timeout 120s] [--health-retries N]] ' +
    '| hfx update --revert',
  details: `Updates are cumulative archives (kind "update", made with \`hfx diff --kind update\`) from one
level to a later one. With --from, the chain from the installed level is taken from DIR, up to
--level N or the latest; the security channel takes only security updates.

Hotfixes the updates include are reverted for you; an applied hotfix they do NOT include stops the
update and is named, so no fix is lost silently. The whole chain is one transaction: a crash
leaves the installation at its old level with its hotfixes, or at the new one.

--revert goes back to the level before the last update (hotfixes applied since must be reverted
first). --channel alone switches the channel the installation follows.

--health CMD runs CMD (through sh, in the pack, with HFX_UPDATE_ID and HFX_HOME set) once the chain
is in place and before it is committed; the update stays only if CMD exits 0 within
--health-timeout (default 120s), trying --health-retries more times. Otherwise the whole
transaction is undone — the hotfixes it had reverted come back — the pack is byte for byte as
before, the failure is reported with its reason (when linked), and hfx exits 11 (HFX_E_HEALTH).
If hfx is killed during CMD, the next command (or \`hfx recover\`) undoes the update. With --server
and no --health, the product's own check (\`hfx init --health CMD\`) is used.

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
    "$ hfx update --from /srv/updates --health 'curl -fsS http://localhost:9443/health' --health-timeout 60s",
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
    ...HEALTH_FLAGS,
    ...REGISTRY_FLAGS,
  },
  args: ['[ARCHIVE]'],
  async run({ values: v, args: [archive] }, { io, out, home, path }) {
    const h = home(v.home);
    if (v.revert) {
      if (archive !== undefined || v.from || v.level || v.channel || v.health) {
        throw new HfxError('HFX_E_USAGE', '--revert takes no archive, --from, --level, --channel or --health');
      }
      const r = await revertUpdate({ home: h, dryRun: v['dry-run'] === true, onProgress: out.progress });
      out.result(r);
      out.line(
        `${out.c.green('✓')} ${r.dryRun ? 'would revert' : 'reverted'} ${r.reverted}: level ${r.fromLevel} → ${r.toLevel}`,
      );
      return 0;
    }
    const channel = choice(v.channel, ['full', 'security']);
    if (v.channel !== undefined && channel === undefined)
      throw new HfxError('HFX_E_USAGE', '--channel must be full or security');
    if (v.server && (archive !== undefined || v.from))
      throw new HfxError('HFX_E_USAGE', '--server takes no archive and no --from');
    const fromOci = archive !== undefined && isOciSource(archive);
    const access = registryAccess(v, io.env, fromOci, 'update');
    const health = await healthOf(v, h, v.server === true);
    // The server and registry clients load only when used, as in `hfx apply`: most updates take files.
    const from = v.server
      ? await (await import('../../../client/fetch-archive.js')).downloadUpdates(h, channel)
      : v.from !== undefined
        ? path(v.from)
        : undefined;
    const oci = fromOci
      ? await (await import('../../../client/oci.js')).fetchOciArchive(h, archive, access, path)
      : null;
    const r = await updateHome({
      home: h,
      ...(archive ? { archive: oci ? oci.file : path(archive) } : {}),
      ...(from ? { from } : {}),
      ...(v.level !== undefined ? { level: int(v.level, 'level') } : {}),
      ...(channel ? { channel } : {}),
      dryRun: v['dry-run'] === true,
      allowUnsigned: v['allow-unsigned'] === true,
      onProgress: out.progress,
      ...(health ? { health, onHealth: (cmd: string) => out.note(out.c.dim(`health check: ${cmd}`)) } : {}),
    }).finally(() => oci?.cleanup());
    if (r.health && !r.health.ok) {
      const reason = healthReason(r.health);
      // Taken, then undone: a rollout counts it among the installations that took the update and failed.
      appendEvents(layout(h), [
        ...r.applied.map((id) => ({ kind: 'updated' as const, archive: id })),
        ...r.applied.map((id) => ({ kind: 'reverted' as const, archive: id, reason })),
      ]);
      await reportIfLinked(h, out);
      throw new HfxError(
        'HFX_E_HEALTH',
        `${r.applied.join(', ')} failed the health check and was undone: ${reason}; the pack is as it was before`,
        {
          hint: 'See what the check printed (--json has it in error.details); fix the product or the check, then update again.',
          details: { applied: r.applied, health: r.health },
        },
      );
    }
    if (!r.dryRun)
      appendEvents(layout(h), [
        ...r.reverted.map((id) => ({
          kind: 'reverted' as const,
          archive: id,
          reason: `included in ${r.applied.join(', ')}`,
        })),
        ...r.applied.map((id) => ({ kind: 'updated' as const, archive: id })),
      ]);
    out.result(r);
    if (r.applied.length === 0) {
      out.line(
        `${out.c.green('✓')} already at the latest level the updates reach (${r.toLevel}, channel ${r.channel})`,
      );
      return 0;
    }
    out.line(
      `${out.c.green('✓')} ${r.dryRun ? 'would update' : 'updated'} level ${r.fromLevel} → ${r.toLevel} with ${r.applied.join(', ')} (${r.changes} changes)`,
    );
    if (r.reverted.length) out.line(`  reverted the hotfixes it includes: ${r.reverted.join(', ')}`);
    return 0;
  },
});
