import { readStatus } from '../../../engine/index.js';
import { HOME, defineCommand } from '../../command.js';

export const stateCommand = defineCommand({
  name: 'state',
  aliases: ['current-state'],
  summary: 'product, release, update level, channel, applied hotfixes and any pending operation',
  usage: 'hfx state [--home DIR] [--json] [--report [--name NAME]]',
  details:
    'With --report the state (and the apply/revert history not sent yet) goes to the linked hfx server for its fleet view.',
  examples: [
    '$ hfx state --home /opt/wso2am',
    '$ HFX_HOME=/opt/wso2am hfx current-state --json',
    '$ hfx state --report --name prod-eu-1',
  ],
  options: { ...HOME, report: { type: 'boolean' }, name: { type: 'string' } },
  async run({ values }, { out, home }) {
    const s = await readStatus(home(values.home));
    // The server's client (TUF, HTTP) loads only with --report: a plain `hfx state` starts in about twice `node -e 0`.
    const reported = values.report
      ? await (await import('../../../client/remote.js')).report(home(values.home), values.name)
      : null;
    out.result({ ...s, ...(reported ? { reported } : {}) });
    if (reported)
      out.line(
        `${out.c.green('✓')} reported to the server as installation ${reported.id}${reported.events ? ` with ${reported.events} event(s)` : ''}`,
      );
    const c = out.c;
    out.line(`${c.bold(s.product)} ${s.version}, update level ${s.level}, channel ${s.channel}`);
    out.line(`  home ${s.home}`);
    if (s.updates.length)
      out.line(
        `  updates since adopted: ${s.updates.map((u) => `${u.id} (${u.fromLevel}→${u.toLevel}${u.security ? ', security' : ''})`).join(', ')}`,
      );
    if (s.hotfixes.length === 0) out.line('  no hotfixes applied');
    else {
      out.line(`  ${s.hotfixes.length} hotfix(es), oldest first:`);
      for (const h of s.hotfixes)
        out.line(`  ${c.bold(h.id)}  ${h.title}  ${c.dim(`${h.severity}, applied ${h.appliedAt}`)}`);
    }
    if (s.pending) {
      out.line(
        c.yellow(
          `  pending: ${s.pending.kind === 'conflict' ? `conflicts in the apply of ${s.pending.subject} (${s.pending.paths?.length ?? 0} files): \`hfx apply --continue\` or \`--abort\`` : `interrupted ${s.pending.operation} of ${s.pending.subject}: run \`hfx recover\``}`,
        ),
      );
    }
    return 0;
  },
});
