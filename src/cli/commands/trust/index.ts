import { resolve } from 'node:path';
import { HfxError } from '../../../errors.js';
import { addTrust, layout, listTrust, readState, removeTrust } from '../../../engine/index.js';
import { HOME, type Command } from '../../command.js';

export const trustCommand: Command = {
  name: 'trust',
  summary: "manage the installation's trusted publisher keys",
  usage: 'hfx trust add NAME.pub [--name N] | hfx trust list | hfx trust remove NAME|KEYID   [--home DIR]',
  details: 'Only archives signed by a trusted key are applied (unless --allow-unsigned). These keys are the installation\'s own (in .hfx/trust); '
    + 'the keys the hfx server accepts on `hfx push` are another list, managed by its admin with `hfx key trust/list`.',
  examples: ['$ hfx trust add release.pub --home /opt/wso2am', '$ hfx trust list --home /opt/wso2am', '$ hfx trust remove release --home /opt/wso2am'],
  options: { ...HOME, name: { type: 'string' } },
  async run({ values, positionals }, { out, home, path }) {
    const l = layout(resolve(home(values['home'])));
    await readState(l);
    const [sub, arg, ...rest] = positionals;
    if (rest.length) throw new HfxError('HFX_E_USAGE', 'too many arguments', { hint: 'See `hfx trust --help`.' });
    if (sub === 'add' && arg) {
      const t = addTrust(l, path(arg), values['name'] as string | undefined);
      out.result(t);
      out.line(`${out.c.green('✓')} trusting ${t.name} (${t.keyid.slice(0, 16)})`);
    } else if (sub === 'list' && !arg) {
      const keys = listTrust(l);
      out.result({ keys });
      if (keys.length === 0) out.line('no trusted keys: add one with `hfx trust add NAME.pub`');
      for (const k of keys) out.line(`${k.keyid}  ${k.name}  (added ${k.addedAt})`);
    } else if (sub === 'remove' && arg) {
      const t = removeTrust(l, arg);
      out.result(t);
      out.line(`${out.c.green('✓')} no longer trusting ${t.name} (${t.keyid.slice(0, 16)})`);
    } else throw new HfxError('HFX_E_USAGE', 'expected `trust add FILE.pub`, `trust list` or `trust remove NAME`', { hint: 'See `hfx trust --help`.' });
    return 0;
  },
};
