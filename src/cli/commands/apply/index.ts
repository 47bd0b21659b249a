import { HfxError } from '../../../errors.js';
import { abortApply, applyHotfix, type HealthCheck, healthReason, layout, readState } from '../../../engine/index.js';
import { appendEvents } from '../../../client/events.js';
import { HOME, choice, defineCommand, duration, flags, int, type FlagValues } from '../../command.js';
import type { Output } from '../../output.js';
import { readLink } from '../../../client/config.js';

const HEALTH_FLAGS = flags({ health: { type: 'string' }, 'health-timeout': { type: 'string' }, 'health-retries': { type: 'string' } });

/** --health CMD, or with --server the product's own check (hfx init --health). */
async function healthOf(v: FlagValues<typeof HEALTH_FLAGS>, home: string, fromServer: boolean): Promise<HealthCheck | undefined> {
  let command = v.health;
  if (command === undefined && fromServer) command = (await readState(layout(home))).health;
  if (command === undefined) {
    if (v['health-timeout'] !== undefined || v['health-retries'] !== undefined) throw new HfxError('HFX_E_USAGE', '--health-timeout and --health-retries go with --health CMD');
    return undefined;
  }
  return { command, timeoutMs: duration(v['health-timeout'], 'health-timeout', 120_000), retries: int(v['health-retries'], 'health-retries', 0) };
}

/** A revert after a failed check goes to the fleet view at once when the installation is linked; a failed report does not hide the check's failure. */
async function reportIfLinked(home: string, out: Output): Promise<void> {
  const link = readLink(layout(home));
  if (!link || link.url.startsWith('file:') || !link.token) return;
  try {
    // The client's server modules (TUF, HTTP) load only here: a plain apply does not pay for them.
    await (await import('../../../client/remote.js')).report(home);
  } catch (e) {
    out.warn(`the revert is recorded here but was not reported to ${link.url}: ${(e as Error).message}; \`hfx state --report\` sends it later`);
  }
}

export const applyCommand = defineCommand({
  name: 'apply',
  aliases: ['apply-hotfix'],
  summary: 'apply a signed hotfix archive to the installation, atomically',
  usage: 'hfx apply FILE.zip [--home DIR] [--dry-run] [--allow-unsigned] [--health CMD [--health-timeout 120s] [--health-retries N]] | hfx apply HF-ID --server | hfx apply --continue [--use new|mine] | hfx apply --abort',
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
--health, the product's own check (\`hfx init --health CMD\`) is used.`,
  examples: [
    '$ hfx apply HF-4.2.0-12-0007.zip --home /opt/wso2am',
    '$ hfx apply HF-4.2.0-12-0007.zip --dry-run --json',
    '$ hfx apply --continue --use new --home /opt/wso2am',
    '$ hfx apply HF-4.2.0-12-0007 --server --home /opt/wso2am   # fetched from the linked server',
    "$ hfx apply HF-4.2.0-12-0007.zip --health 'curl -fsS http://localhost:9443/health' --health-timeout 60s --health-retries 2",
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
  },
  // One archive, or none with --continue and --abort: checked below, with those flags.
  async run({ values: v, args: positionals }, { out, home, path }) {
    const h = home(v.home);
    if (v.abort) {
      if (positionals.length || v.continue) throw new HfxError('HFX_E_USAGE', '--abort takes no archive and no --continue');
      const r = await abortApply({ home: h });
      out.result(r);
      out.line(r.aborted ? `${out.c.green('✓')} gave up the apply of ${r.aborted}; the pack was not changed` : 'there was no conflict to abort');
      return 0;
    }
    const use = choice(v.use, ['new', 'mine']);
    if (v.use !== undefined && (use === undefined || !v.continue)) throw new HfxError('HFX_E_USAGE', '--use takes new or mine, with --continue');
    if (v.continue ? positionals.length !== 0 : positionals.length !== 1) {
      throw new HfxError('HFX_E_USAGE', v.continue ? '--continue takes no archive (the one that stopped is kept)' : 'give exactly one archive: hfx apply FILE.zip', { hint: 'See `hfx apply --help`.' });
    }
    // With --server the argument is a hotfix id, fetched as the signed metadata names it.
    const archive = positionals[0] === undefined ? undefined : v.server ? await (await import('../../../client/fetch-archive.js')).downloadHotfix(h, positionals[0]) : path(positionals[0]);
    const health = await healthOf(v, h, v.server === true);
    const r = await applyHotfix({
      home: h,
      ...(archive ? { archive } : {}),
      dryRun: v['dry-run'] === true,
      allowUnsigned: v['allow-unsigned'] === true,
      continue: v.continue === true,
      ...(use ? { use } : {}),
      onProgress: out.progress,
      ...(health ? { health, onHealth: (cmd: string) => out.note(out.c.dim(`health check: ${cmd}`)) } : {}),
    });
    if (!r.dryRun) appendEvents(layout(h), [{ kind: 'applied', archive: r.id }]);
    if (r.health && !r.health.ok) {
      const reason = healthReason(r.health);
      appendEvents(layout(h), [{ kind: 'reverted', archive: r.id, reason }]);
      await reportIfLinked(h, out);
      throw new HfxError('HFX_E_HEALTH', `${r.id} was applied, then reverted: ${reason}; the pack is as it was before`, {
        hint: 'See what the check printed (--json has it in error.details); fix the product or the check, then apply again.',
        details: { id: r.id, health: r.health },
      });
    }
    out.result(r);
    if (r.recovered.action === 'completed') out.warn(`finished an interrupted ${r.recovered.operation} of ${r.recovered.subject} first`);
    const verb = r.dryRun ? 'would apply' : 'applied';
    out.line(`${out.c.green('✓')} ${verb} ${out.c.bold(r.id)} — ${r.title}: ${r.changes.length} change(s)${r.untouched.length ? `, ${r.untouched.length} already in place` : ''}${r.keyid ? '' : out.c.yellow(' (unsigned or untrusted signer)')}`);
    for (const c of r.changes) out.line(`  ${c.op === 'add' ? 'A' : c.op === 'delete' ? 'D' : 'M'} ${c.path}`);
    return 0;
  },
});
