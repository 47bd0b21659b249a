import { recoverHome } from '../../../engine/index.js';
import { HOME, defineCommand } from '../../command.js';

export const recoverCommand = defineCommand({
  name: 'recover',
  summary: 'finish (or with --rollback undo) an interrupted apply or revert',
  usage: 'hfx recover [--home DIR] [--rollback]',
  details: 'Every command that changes the pack does this first, so you rarely need it by hand.',
  examples: ['$ hfx recover --home /opt/wso2am', '$ hfx recover --rollback'],
  options: { ...HOME, rollback: { type: 'boolean' } },
  async run({ values }, { out, home }) {
    const r = await recoverHome({ home: home(values.home), rollback: values.rollback === true });
    out.result(r);
    const what = `${r.operation ?? 'operation'} of ${r.subject ?? 'the pack'}`;
    const msg = {
      none: 'nothing to recover',
      cleaned: 'removed the leftovers of an operation that had not started changing the pack',
      completed: `finished the interrupted ${what}`,
      'rolled-back': `undid the interrupted ${what}`,
    }[r.action];
    out.line(`${out.c.green('✓')} ${msg}`);
    return 0;
  },
});
