import { HfxError } from '../../../errors.js';
import { abortApply, applyHotfix, healthReason, layout } from '../../../engine/index.js';
import { appendEvents } from '../../../client/events.js';
import { HOME, choice, defineCommand } from '../../command.js';
import { HEALTH_FLAGS, healthOf, reportIfLinked } from '../../health.js';
import { isOciSource } from '../../../oci/reference.js';
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryAccess } from '../../registry-flags.js';

export const applyCommand = defineCommand({
  name: 'apply',
  aliases: ['apply-hotfix'],
  summary: 'apply a signed hotfix archive to the installation, atomically',
  usage:
    'hfx apply FILE.zip [--home DIR] [--dry-run] [--allow-unsigned] [--health CMD [--health-timeout 120s] [--health-retries N]] | hfx apply HF-ID --server | hfx apply oci://REGISTRY/REPO:ID | hfx apply oci-layout:DIR:ID | hfx apply --continue [--use new|mine] | hfx apply --abort',
  details: `Checks the signature against the trust store, the product, release, update level and
required hotfixes, and that every file the hotfix touches still holds what it expects. Only then
are the files replaced, all or none; a crash at any moment is finished by \`hfx recover\`.

Files you changed locally are conflicts: nothing is applied, and for each one
.hfx/conflict/files/<path>.mine (yours) and <path>.new (the hotfix's) are written. Then:
  write <path>.final and run \`hfx apply --continue\`   your merge goes in; yours is kept for revert
  hfx apply --continue --use new                      the hotfix's version for every unresolved file
  hfx apply --continue --use mine                     keep your version of every unresolved file
  hfx apply --abort                                   forget the attempt (the pack was never changed)

--health CMD runs CMD (through sh, in the pack, with HFX_HOTFIX_ID and HFX_HOME set) once the
hotfix is applied; the hotfix stays only if CMD exits 0 within --health-timeout (default 120s),
trying --health-retries more times (default 0). Otherwise it is reverted in the same command, the
pack is byte for byte as before, the revert is recorded with the reason (reported to the server
when linked), and hfx exits 11 (HFX_E_HEALTH). Until CMD passes the hotfix is unconfirmed: if hfx
is killed meanwhile, the next hfx command (or \`hfx recover\`) reverts it. With --server and no
--health, the product's own check (\`hfx init --health CMD\`) is used.

oci://REGISTRY/REPO:ID takes the archive from an OCI registry (\`hfx push FILE.zip --oci\`), and
oci-layout:DIR:ID from an OCI image layout (\`skopeo copy … oci:DIR:ID\`, e.g. on a USB disk). It is
streamed to .hfx/downloads/, checked against the digest its manifest names, and must be the
archive ID (HFX_E_ARTIFACT otherwise); then every check of a FILE.zip applies: the registry is
transport, not trust. docs/oci.md.
${REGISTRY_FLAGS_HELP}`,
  examples: [
    '$ hfx apply HF-4.2.0-12-0007.zip --home /opt/wso2am',
    '$ hfx apply HF-4.2.0-12-0007.zip --dry-run --json',
    '$ hfx apply --continue --use new --home /opt/wso2am',
    '$ hfx apply HF-4.2.0-12-0007 --server --home /opt/wso2am   # fetched from the linked server',
    "$ hfx apply HF-4.2.0-12-0007.zip --health 'curl -fsS http://localhost:9443/health' --health-timeout 60s --health-retries 2",
    '$ hfx apply oci://registry.example.com/hfx/wso2am:HF-4.2.0-12-0007 --home /opt/wso2am',
    '$ hfx apply oci-layout:/media/usb/hfx:HF-4.2.0-12-0007 --home /opt/wso2am     # copied with skopeo, air-gapped',
  ],
  options: {
    ...HOME,
    'dry-run': { type: 'boolean' },
    'allow-unsigned': { type: 'boolean' },
    continue: { type: 'boolean' },
    abort: { type: 'boolean' },
    use: { type: 'string' },
    server: { type: 'boolean' },
    ...HEALTH_FLAGS,
    ...REGISTRY_FLAGS,
  },
  // One archive, or none with --continue and --abort: checked below, with those flags.
  async run({ values: v, args: positionals }, { io, out, home, path }) {
    const h = home(v.home);
    if (v.abort) {
      if (positionals.length || v.continue)
        throw new HfxError('HFX_E_USAGE', '--abort takes no archive and no --continue');
      const r = await abortApply({ home: h });
      out.result(r);
      out.line(
        r.aborted
          ? `${out.c.green('✓')} gave up the apply of ${r.aborted}; the pack was not changed`
          : 'there was no conflict to abort',
      );
      return 0;
    }
    const use = choice(v.use, ['new', 'mine']);
    if (v.use !== undefined && (use === undefined || !v.continue))
      throw new HfxError('HFX_E_USAGE', '--use takes new or mine, with --continue');
    if (v.continue ? positionals.length !== 0 : positionals.length !== 1) {
      throw new HfxError(
        'HFX_E_USAGE',
        v.continue
          ? '--continue takes no archive (the one that stopped is kept)'
          : 'give exactly one archive: hfx apply FILE.zip',
        { hint: 'See `hfx apply --help`.' },
      );
    }
    const source = positionals[0];
    const fromOci = source !== undefined && !v.server && isOciSource(source);
    const access = registryAccess(v, io.env, fromOci, 'apply');
    const health = await healthOf(v, h, v.server === true);
    // The server client and the registry client load only when used: most applies take a file.
    const oci = fromOci
      ? await (await import('../../../client/oci.js')).fetchOciArchive(h, source, access, path)
      : null;
    // With --server the argument is a hotfix id, fetched as the signed metadata names it.
    const archive =
      source === undefined
        ? undefined
        : oci
          ? oci.file
          : v.server
            ? await (await import('../../../client/fetch-archive.js')).downloadHotfix(h, source)
            : path(source);
    const r = await applyHotfix({
      home: h,
      ...(archive ? { archive } : {}),
      dryRun: v['dry-run'] === true,
      allowUnsigned: v['allow-unsigned'] === true,
      continue: v.continue === true,
      ...(use ? { use } : {}),
      onProgress: out.progress,
      ...(health ? { health, onHealth: (cmd: string) => out.note(out.c.dim(`health check: ${cmd}`)) } : {}),
    }).finally(() => oci?.cleanup());
    if (!r.dryRun) appendEvents(layout(h), [{ kind: 'applied', archive: r.id }]);
    if (r.health && !r.health.ok) {
      const reason = healthReason(r.health);
      appendEvents(layout(h), [{ kind: 'reverted', archive: r.id, reason }]);
      await reportIfLinked(h, out);
      throw new HfxError(
        'HFX_E_HEALTH',
        `${r.id} was applied, then reverted: ${reason}; the pack is as it was before`,
        {
          hint: 'See what the check printed (--json has it in error.details); fix the product or the check, then apply again.',
          details: { id: r.id, health: r.health },
        },
      );
    }
    out.result(r);
    if (r.recovered.action === 'completed') {
      const { operation = 'operation', subject = 'the pack' } = r.recovered;
      out.warn(`finished an interrupted ${operation} of ${subject} first`);
    }
    const verb = r.dryRun ? 'would apply' : 'applied';
    out.line(
      `${out.c.green('✓')} ${verb} ${out.c.bold(r.id)} — ${r.title}: ${r.changes.length} change(s)${r.untouched.length ? `, ${r.untouched.length} already in place` : ''}${r.keyid ? '' : out.c.yellow(' (unsigned or untrusted signer)')}`,
    );
    for (const c of r.changes) out.line(`  ${c.op === 'add' ? 'A' : c.op === 'delete' ? 'D' : 'M'} ${c.path}`);
    return 0;
  },
});
