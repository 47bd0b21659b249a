import { HfxError } from '../../../errors.js';
import { layout, revertHotfix } from '../../../engine/index.js';
import { appendEvents } from '../../../client/events.js';
import { HOME, defineCommand } from '../../command.js';

export const revertCommand = defineCommand({
  name: 'revert',
  aliases: ['revert-hotfix'],
  summary: 'revert the last hotfix, a named one, or all of them, atomically',
  usage: 'hfx revert [ID] [--all] [--reason TEXT] [--home DIR] [--dry-run]',
  details: `Without ID the last applied hotfix is reverted. A named one is reverted only when no later
hotfix touches its files (else revert the later one first). Files changed since the apply are
reported and nothing is reverted. --reason is sent to the server with "hfx state --report" (the fleet view shows why).`,
  examples: [
    '$ hfx revert --home /opt/wso2am            # the last one',
    '$ hfx revert HF-4.2.0-12-0007 --dry-run',
    '$ hfx revert --all --json',
  ],
  options: { ...HOME, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, reason: { type: 'string' } },
  args: ['[ID]'],
  async run({ values: v, args: [hotfix] }, { out, home }) {
    if (v.all && hotfix !== undefined)
      throw new HfxError('HFX_E_USAGE', 'give one hotfix id, or --all', { hint: 'See `hfx revert --help`.' });
    const r = await revertHotfix({
      home: home(v.home),
      ...(hotfix ? { id: hotfix } : {}),
      all: v.all === true,
      dryRun: v['dry-run'] === true,
      onProgress: out.progress,
    });
    if (!r.dryRun)
      appendEvents(
        layout(home(v.home)),
        r.reverted.map((id) => ({
          kind: 'reverted' as const,
          archive: id,
          ...(v.reason !== undefined ? { reason: v.reason } : {}),
        })),
      );
    out.result(r);
    out.line(
      `${out.c.green('✓')} ${r.dryRun ? 'would revert' : 'reverted'} ${r.reverted.join(', ')}: ${r.changes.length} change(s) undone`,
    );
    return 0;
  },
});
