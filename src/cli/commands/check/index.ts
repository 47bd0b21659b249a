import { check } from '../../../client/remote.js';
import { HOME, defineCommand } from '../../command.js';

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'ask the server what updates and hotfixes there are for this installation',
  usage: 'hfx check [--home DIR] [--json]',
  details:
    "The answer is the TUF repository of the installation's customer, checked by tuf-js against the root trusted at login: signatures, thresholds, expiry, and versions never older than before (docs/distribution.md).",
  examples: ['$ hfx check --home /opt/wso2am'],
  options: { ...HOME },
  async run({ values }, { out, home }) {
    const r = await check(home(values.home));
    out.result(r);
    const c = out.c;
    out.line(`metadata version ${r.metadataVersion}, valid until ${r.expires}`);
    if (r.updates.length === 0) out.line('  no updates');
    for (const u of r.updates) {
      const security = u.channel === 'security' ? c.yellow(' security') : '';
      out.line(`  update ${c.bold(u.id)}: level ${u.level} → ${u.toLevel ?? '?'}${security}`);
    }
    const todo = r.hotfixes.filter((h) => !h.applied);
    if (r.hotfixes.length === 0) out.line('  no hotfixes for this level');
    for (const h of r.hotfixes)
      out.line(
        `  hotfix ${c.bold(h.id)} ${h.severity} ${h.title}${h.applied ? c.dim(' (applied)') : ''}${h.customer ? c.dim(` for ${h.customer}`) : ''}${h.rollout ? c.dim(` (rollout ${h.rollout.id}: ${h.rollout.percent}%, ${h.rollout.state})`) : ''}`,
      );
    for (const w of r.withdrawn) {
      const revert = w.rollout.state === 'aborted' ? `; revert it with: hfx revert ${w.id}` : '';
      const { id, state } = w.rollout;
      const why = `the vendor has stopped offering it${revert}`;
      out.warn(`${w.id} is applied here, but its rollout ${id} was ${state}: ${why}`);
    }
    const [next] = todo;
    if (next) out.line(`apply with: hfx apply ${next.id} --server`);
    return 0;
  },
});
