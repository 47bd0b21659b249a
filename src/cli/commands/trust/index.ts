import { resolve } from 'node:path';
import { addTrust, layout, listTrust, readState, removeTrust, type Layout } from '../../../engine/index.js';
import { HOME, defineCommandWithSubcommands, flags, subcommandsOf, type Ctx, type FlagValues } from '../../command.js';

const TRUST_FLAGS = flags({ ...HOME, name: { type: 'string' } });
const subcommand = subcommandsOf<typeof TRUST_FLAGS>();

/** The installation's layout; refused when it is not one. */
async function installation(ctx: Ctx, v: FlagValues<typeof TRUST_FLAGS>): Promise<Layout> {
  const l = layout(resolve(ctx.home(v.home)));
  await readState(l);
  return l;
}

const add = subcommand({
  name: 'add',
  summary: 'trust the public key `hfx keygen` wrote, named --name (default: the file name)',
  args: ['NAME.pub'],
  usage: 'NAME.pub [--name N]',
  async run({ values, args: [file] }, ctx) {
    const { out } = ctx;
    const t = addTrust(await installation(ctx, values), ctx.path(file), values.name);
    out.result(t);
    out.line(`${out.c.green('✓')} trusting ${t.name} (${t.keyid.slice(0, 16)})`);
    return 0;
  },
});

const list = subcommand({
  name: 'list',
  summary: 'the keys the installation trusts',
  async run({ values }, ctx) {
    const { out } = ctx;
    const keys = listTrust(await installation(ctx, values));
    out.result({ keys });
    if (keys.length === 0) out.line('no trusted keys: add one with `hfx trust add NAME.pub`');
    for (const k of keys) out.line(`${k.keyid}  ${k.name}  (added ${k.addedAt})`);
    return 0;
  },
});

const remove = subcommand({
  name: 'remove',
  summary: 'stop trusting a key, by its name or key id',
  args: ['NAME|KEYID'],
  async run({ values, args: [key] }, ctx) {
    const { out } = ctx;
    const t = removeTrust(await installation(ctx, values), key);
    out.result(t);
    out.line(`${out.c.green('✓')} no longer trusting ${t.name} (${t.keyid.slice(0, 16)})`);
    return 0;
  },
});

export const trustCommand = defineCommandWithSubcommands({
  name: 'trust',
  summary: "manage the installation's trusted publisher keys",
  usage: 'hfx trust add NAME.pub [--name N] | hfx trust list | hfx trust remove NAME|KEYID   [--home DIR]',
  details:
    "Only archives signed by a trusted key are applied (unless --allow-unsigned). These keys are the installation's own (in .hfx/trust); " +
    'the keys the hfx server accepts on `hfx push` are another list, managed by its admin with `hfx key trust/list`.',
  examples: [
    '$ hfx trust add release.pub --home /opt/wso2am',
    '$ hfx trust list --home /opt/wso2am',
    '$ hfx trust remove release --home /opt/wso2am',
  ],
  options: TRUST_FLAGS,
  commonUsage: '[--home DIR]',
  subcommands: [add, list, remove],
});
