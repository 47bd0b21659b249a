import { call } from '../../../client/http.js';
import { defineCommandWithSubcommands, flags, str, subcommandsOf, synopsis } from '../../command.js';
import { remoteOf } from '../../server-remote.js';
import type { CustomerRow } from '../../../wire/admin.js';

const CUSTOMER_FLAGS = flags({ server: { type: 'string' }, name: { type: 'string' } });
const subcommand = subcommandsOf<typeof CUSTOMER_FLAGS>();

const list = subcommand({
  name: 'list',
  summary: 'every customer with how many live installation tokens, installations and active users it has',
  async run({ values: v }, ctx) {
    const { out } = ctx;
    const r = await call<{ customers: CustomerRow[] }>(remoteOf(ctx, v), 'GET', '/v1/customers');
    out.result(r);
    const { c } = out;
    const w = Math.max(8, ...r.customers.map((x) => x.id.length));
    const count = (n: number, what: string) => `${String(n).padStart(4)} ${what}${n === 1 ? ' ' : 's'}`;
    for (const x of r.customers) {
      const counts = `${count(x.tokens, 'token')}  ${count(x.installations, 'installation')}  ${count(x.users, 'user')}`;
      out.line(`${x.id.padEnd(w)}  ${counts}  ${x.name}  ${c.dim(`since ${x.createdAt.slice(0, 10)}`)}`);
    }
    if (r.customers.length === 0) out.line('no customers: add one with `hfx customer add ID --name NAME`');
    return 0;
  },
});

const add = subcommand({
  name: 'add',
  summary: 'register a customer (admin): ID is what archives, tokens and users refer to, NAME is for people',
  args: ['ID'],
  usage: 'ID --name NAME',
  async run({ values: v, args: [id] }, ctx) {
    const { out } = ctx;
    const remote = remoteOf(ctx, v);
    const name = str(v.name, 'name', 'customer');
    const r = await call<{ id: string; name: string }>(remote, 'POST', '/v1/customers', { id, name });
    out.result({ customer: r });
    out.line(`${out.c.green('✓')} customer ${r.id} (${r.name}) added`);
    out.note(
      out.c.dim(
        `Next: hfx token new NAME --customer ${r.id} (for an installation), ` +
          `hfx user add NAME --role customer --customer ${r.id} (for its people)`,
      ),
    );
    return 0;
  },
});

const SUBCOMMANDS = [list, add];

export const customerCommand = defineCommandWithSubcommands({
  name: 'customer',
  summary: "the server's customers: add one (admin), list them with their tokens, installations and users",
  usage: `hfx customer ${synopsis(SUBCOMMANDS)} [--server URL]`,
  details: [
    '`add ID --name NAME` (admin) registers a customer: ID is what archives, tokens and users refer to (letters, digits, . _ + -), NAME is for people. ' +
      'Then, for its installations, `hfx token new NAME --customer ID` makes a token each installation links with; ' +
      'for its people, `hfx user add NAME --role customer --customer ID`.',
    '`list` (release-manager and up) shows every customer with how many live installation tokens, installations and active users it has. ' +
      'Uses the login of `hfx login URL --user NAME` (--server URL picks one of several).',
  ].join('\n\n'),
  examples: [
    '$ hfx customer add acme --name "ACME Corp"',
    '$ hfx customer list',
    '$ hfx token new acme-prod-1 --customer acme      # then a token for its installation',
  ],
  options: CUSTOMER_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: SUBCOMMANDS,
});
