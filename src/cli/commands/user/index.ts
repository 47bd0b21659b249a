import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import { USER_ROLES, type UserRole } from '../../../store/schema.js';
import { choice, defineCommandWithSubcommands, flags, subcommandsOf, synopsis } from '../../command.js';
import { remoteOf } from '../../server-remote.js';
import type { Output } from '../../output.js';
import { readSecret } from '../../prompt.js';
import type { UserRow } from '../../../wire/admin.js';

const HELP = 'See `hfx user --help`.';
/** The server's rule (POST /v1/users), checked here too so a short password is refused in plain words. */
const MIN_PASSWORD = 12;

function role(v: string | undefined): UserRole | undefined {
  if (v === undefined) return undefined;
  const r = choice(v, USER_ROLES);
  if (r === undefined)
    throw new HfxError('HFX_E_USAGE', `--role must be one of ${USER_ROLES.join(', ')}, not ${JSON.stringify(v)}`, {
      hint: HELP,
    });
  return r;
}

function show(out: Output, u: UserRow, w: number): void {
  const { c } = out;
  // Padded before colouring, so the colour codes do not count towards the columns.
  const who = (u.role === 'customer' ? `customer ${u.customer ?? '?'}` : u.role).padEnd(18);
  const email = (u.email ?? 'no e-mail').padEnd(28);
  const state = u.disabled ? c.yellow('disabled') : 'active  ';
  out.line(
    `${u.username.padEnd(w)}  ${who}  ${u.email ? email : c.dim(email)}  ${state}  ${c.dim(`since ${u.createdAt.slice(0, 10)}`)}`,
  );
}

const USER_FLAGS = flags({
  server: { type: 'string' },
  role: { type: 'string' },
  email: { type: 'string' },
  'no-email': { type: 'boolean' },
  customer: { type: 'string' },
  'password-stdin': { type: 'boolean' },
});
const subcommand = subcommandsOf<typeof USER_FLAGS>();

const userPath = (name: string) => `/v1/users/${encodeURIComponent(name)}`;
const what = (u: UserRow) => (u.role === 'customer' ? `customer ${u.customer ?? '?'}'s user` : u.role);

const list = subcommand({
  name: 'list',
  summary: 'every user: role (or customer), e-mail, disabled or active, since when',
  async run({ values: v }, ctx) {
    const { out } = ctx;
    const r = await call<{ users: UserRow[] }>(remoteOf(ctx, v), 'GET', '/v1/users');
    out.result(r);
    const w = Math.max(8, ...r.users.map((u) => u.username.length));
    for (const u of r.users) show(out, u, w);
    return 0;
  },
});

const add = subcommand({
  name: 'add',
  summary: 'a new user with a role; its password from HFX_NEW_PASSWORD, standard input or a prompt that asks twice',
  args: ['NAME'],
  usage: 'NAME --role R [--email E] [--customer ID] [--password-stdin]',
  async run({ values: v, args: [name] }, ctx) {
    const { out, io } = ctx;
    const remote = remoteOf(ctx, v);
    const r = role(v.role);
    if (r === undefined)
      throw new HfxError('HFX_E_USAGE', `--role is required: one of ${USER_ROLES.join(', ')}`, { hint: HELP });
    const customer = v.customer;
    // Checked before the password is asked for, so nobody types one twice for a refused command.
    if ((r === 'customer') !== (customer !== undefined)) {
      if (r !== 'customer')
        throw new HfxError('HFX_E_USAGE', 'only a user with role customer takes --customer', { hint: HELP });
      throw new HfxError('HFX_E_USAGE', 'a customer user needs --customer ID: whose people they are', {
        hint: `For example: \`hfx user add ${name} --role customer --customer acme\` (\`hfx customer list\` shows the ids).`,
      });
    }
    const password = await readSecret(io, {
      envVar: 'HFX_NEW_PASSWORD',
      fromStdin: v['password-stdin'] === true,
      prompt: `password for ${name}: `,
      confirm: 'the same password again: ',
    });
    // Counted in code points, as the server's minLength counts them.
    if (Array.from(password).length < MIN_PASSWORD) {
      throw new HfxError('HFX_E_USAGE', `the password must have at least ${MIN_PASSWORD} characters`, {
        hint: 'Give a longer one (HFX_NEW_PASSWORD, standard input, or the prompt).',
      });
    }
    const email = v.email;
    const body = {
      username: name,
      password,
      role: r,
      ...(email !== undefined ? { email } : {}),
      ...(customer ? { customer } : {}),
    };
    const u = await call<UserRow>(remote, 'POST', '/v1/users', body);
    out.result({ user: u });
    out.line(`${out.c.green('✓')} user ${u.username} added: ${what(u)}${u.email ? `, e-mail ${u.email}` : ''}`);
    out.note(out.c.dim(`They log in with: hfx login ${remote.url} --user ${u.username}`));
    return 0;
  },
});

const set = subcommand({
  name: 'set',
  summary: 'change the e-mail of record (or remove it) or the role',
  args: ['NAME'],
  usage: 'NAME [--email E | --no-email] [--role R]',
  async run({ values: v, args: [name] }, ctx) {
    const { out } = ctx;
    const remote = remoteOf(ctx, v);
    if (v.email !== undefined && v['no-email'])
      throw new HfxError('HFX_E_USAGE', 'give --email E or --no-email, not both', { hint: HELP });
    const r = role(v.role);
    const email = v.email !== undefined ? { email: v.email } : v['no-email'] ? { email: null } : {};
    const body = { ...email, ...(r !== undefined ? { role: r } : {}) };
    if (Object.keys(body).length === 0)
      throw new HfxError('HFX_E_USAGE', 'nothing to change: give --email E, --no-email or --role R', { hint: HELP });
    const u = await call<UserRow>(remote, 'PATCH', userPath(name), body);
    out.result({ user: u });
    out.line(`${out.c.green('✓')} user ${u.username}: ${what(u)}, ${u.email ? `e-mail ${u.email}` : 'no e-mail'}`);
    return 0;
  },
});

/** disable and enable: the same request, the other way. */
const able = (disable: boolean) =>
  subcommand({
    name: disable ? 'disable' : 'enable',
    summary: disable
      ? 'stop a user signing in, and revoke its tokens at once'
      : 'let a disabled user sign in again (with a new login)',
    args: ['NAME'],
    // The command's example disables, then enables.
    examples: disable ? [] : ['$ hfx user enable alice'],
    async run({ values: v, args: [name] }, ctx) {
      const { out } = ctx;
      const u = await call<UserRow>(remoteOf(ctx, v), 'PATCH', userPath(name), { disabled: disable });
      out.result({ user: u });
      out.line(
        `${out.c.green('✓')} user ${u.username} ${
          disable
            ? `disabled: cannot sign in; its tokens are revoked (\`hfx user enable ${u.username}\` lets it sign in again)`
            : 'enabled: can sign in again (tokens revoked when it was disabled stay revoked)'
        }`,
      );
      return 0;
    },
  });

const SUBCOMMANDS = [list, add, set, able(true), able(false)];

export const userCommand = defineCommandWithSubcommands({
  name: 'user',
  summary: "the server's users (admin): add one, list them, change a role or an e-mail, disable and enable",
  usage: `hfx user ${synopsis(SUBCOMMANDS)} [--server URL]`,
  details: [
    `Roles: ${USER_ROLES.join(', ')} (docs/server.md, "Roles"). A user with role customer is one of that customer's own people ` +
      "and needs --customer ID (`hfx customer add` makes the customer); the other roles are the vendor's and take no --customer.",
    `\`add\` takes the new user's password (${MIN_PASSWORD} characters or more) from HFX_NEW_PASSWORD, else from standard input when it is ` +
      'not a terminal (or with --password-stdin), else from a prompt that does not show what is typed and asks twice. ' +
      'The user then logs in with `hfx login URL --user NAME`.',
    "`set` changes the e-mail of record (--no-email removes it) or the role; a vendor user cannot become a customer's user nor the reverse. " +
      '`disable` stops a user signing in and revokes its tokens at once; `enable` lets it sign in again (with a new login). ' +
      'The last admin who can sign in cannot be disabled or demoted: add another admin first. ' +
      "A lost admin password is reset on the server's machine: `hfx serve --reset-admin-password`.",
    'Every subcommand needs the admin role and uses the login of `hfx login URL --user NAME` (--server URL picks one of several).',
  ].join('\n\n'),
  examples: [
    '$ hfx user list',
    '$ hfx user add alice --role developer --email alice@example.com      # asks for her password twice',
    '$ printf %s "$PW" | hfx user add ops-lead --role customer --customer acme --password-stdin',
    '$ hfx user set alice --role release-manager',
    '$ hfx user set alice --no-email',
    '$ hfx user disable alice && hfx user enable alice',
  ],
  options: USER_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: SUBCOMMANDS,
});
