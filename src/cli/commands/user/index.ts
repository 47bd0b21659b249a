import { currentLogin } from '../../../client/config.js';
import { userRemote } from '../../../client/environments.js';
import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import type { UserRow } from '../../../server/routes/admin.js';
import { USER_ROLES, type UserRole } from '../../../store/schema.js';
import { exactArgs, type Command } from '../../command.js';
import type { Output } from '../../output.js';
import { readSecret } from '../../read-secret.js';

const SUBS = 'list | add NAME --role R [--email E] [--customer ID] [--password-stdin] '
  + '| set NAME [--email E | --no-email] [--role R] | disable NAME | enable NAME';

function unknownSub(sub: string | undefined): HfxError {
  return new HfxError('HFX_E_USAGE', sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'a subcommand is missing', { hint: `hfx user ${SUBS}` });
}
const HELP = 'See `hfx user --help`.';
/** The server's rule (POST /v1/users), checked here too so a short password is refused in plain words. */
const MIN_PASSWORD = 12;

function role(v: unknown): UserRole | undefined {
  if (v === undefined) return undefined;
  if (!(USER_ROLES as readonly unknown[]).includes(v)) {
    throw new HfxError('HFX_E_USAGE', `--role must be one of ${USER_ROLES.join(', ')}, not ${JSON.stringify(v)}`, { hint: HELP });
  }
  return v as UserRole;
}

function show(out: Output, u: UserRow, w: number): void {
  const { c } = out;
  // Padded before colouring, so the colour codes do not count towards the columns.
  const who = (u.role === 'customer' ? `customer ${u.customer ?? '?'}` : u.role).padEnd(18);
  const email = (u.email ?? 'no e-mail').padEnd(28);
  const state = u.disabled ? c.yellow('disabled') : 'active  ';
  out.line(`${u.username.padEnd(w)}  ${who}  ${u.email ? email : c.dim(email)}  ${state}  ${c.dim(`since ${u.createdAt.slice(0, 10)}`)}`);
}

export const userCommand: Command = {
  name: 'user',
  summary: "the server's users (admin): add one, list them, change a role or an e-mail, disable and enable",
  usage: `hfx user ${SUBS} [--server URL]`,
  details: [
    `Roles: ${USER_ROLES.join(', ')} (docs/server.md, "Roles"). A user with role customer is one of that customer's own people `
      + 'and needs --customer ID (`hfx customer add` makes the customer); the other roles are the vendor\'s and take no --customer.',
    `\`add\` takes the new user's password (${MIN_PASSWORD} characters or more) from HFX_NEW_PASSWORD, else from standard input when it is `
      + 'not a terminal (or with --password-stdin), else from a prompt that does not show what is typed and asks twice. '
      + 'The user then logs in with `hfx login URL --user NAME`.',
    '`set` changes the e-mail of record (--no-email removes it) or the role; a vendor user cannot become a customer\'s user nor the reverse. '
      + '`disable` stops a user signing in and revokes its tokens at once; `enable` lets it sign in again (with a new login). '
      + 'The last admin who can sign in cannot be disabled or demoted: add another admin first. '
      + 'A lost admin password is reset on the server\'s machine: `hfx serve --reset-admin-password`.',
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
  options: {
    server: { type: 'string' },
    role: { type: 'string' },
    email: { type: 'string' },
    'no-email': { type: 'boolean' },
    customer: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  async run({ values: v, positionals }, ctx) {
    const { out, io } = ctx;
    const [sub, ...rest] = positionals;
    // A mistyped subcommand is named before the login is looked for.
    if (!['list', 'add', 'set', 'disable', 'enable'].includes(sub ?? '')) throw unknownSub(sub);
    const remote = userRemote(currentLogin(io.env, v['server'] as string | undefined));
    const userPath = (name: string) => `/v1/users/${encodeURIComponent(name)}`;
    const what = (u: UserRow) => (u.role === 'customer' ? `customer ${u.customer}'s user` : u.role);
    switch (sub) {
      case 'list': {
        exactArgs(rest, 0, 'user', 'list');
        const r = await call<{ users: UserRow[] }>(remote, 'GET', '/v1/users');
        out.result(r);
        const w = Math.max(8, ...r.users.map((u) => u.username.length));
        for (const u of r.users) show(out, u, w);
        return 0;
      }
      case 'add': {
        const [name] = exactArgs(rest, 1, 'user', 'add NAME --role R [--email E] [--customer ID]');
        const r = role(v['role']);
        if (r === undefined) throw new HfxError('HFX_E_USAGE', `--role is required: one of ${USER_ROLES.join(', ')}`, { hint: HELP });
        const customer = v['customer'] as string | undefined;
        // Checked before the password is asked for, so nobody types one twice for a refused command.
        if ((r === 'customer') !== (customer !== undefined)) {
          if (r !== 'customer') throw new HfxError('HFX_E_USAGE', 'only a user with role customer takes --customer', { hint: HELP });
          throw new HfxError('HFX_E_USAGE', 'a customer user needs --customer ID: whose people they are', {
            hint: `For example: \`hfx user add ${name} --role customer --customer acme\` (\`hfx customer list\` shows the ids).`,
          });
        }
        const password = await readSecret(io, {
          envVar: 'HFX_NEW_PASSWORD', fromStdin: v['password-stdin'] === true, prompt: `password for ${name}: `, confirm: 'the same password again: ',
        });
        if ([...password].length < MIN_PASSWORD) {
          throw new HfxError('HFX_E_USAGE', `the password must have at least ${MIN_PASSWORD} characters`, {
            hint: 'Give a longer one (HFX_NEW_PASSWORD, standard input, or the prompt).',
          });
        }
        const email = v['email'] as string | undefined;
        const body = { username: name, password, role: r, ...(email !== undefined ? { email } : {}), ...(customer ? { customer } : {}) };
        const u = await call<UserRow>(remote, 'POST', '/v1/users', body);
        out.result({ user: u });
        out.line(`${out.c.green('✓')} user ${u.username} added: ${what(u)}${u.email ? `, e-mail ${u.email}` : ''}`);
        out.note(out.c.dim(`They log in with: hfx login ${remote.url} --user ${u.username}`));
        return 0;
      }
      case 'set': {
        const [name] = exactArgs(rest, 1, 'user', 'set NAME [--email E | --no-email] [--role R]');
        if (v['email'] !== undefined && v['no-email']) throw new HfxError('HFX_E_USAGE', 'give --email E or --no-email, not both', { hint: HELP });
        const r = role(v['role']);
        const email = v['email'] !== undefined ? { email: v['email'] } : v['no-email'] ? { email: null } : {};
        const body = { ...email, ...(r !== undefined ? { role: r } : {}) };
        if (Object.keys(body).length === 0) throw new HfxError('HFX_E_USAGE', 'nothing to change: give --email E, --no-email or --role R', { hint: HELP });
        const u = await call<UserRow>(remote, 'PATCH', userPath(name!), body);
        out.result({ user: u });
        out.line(`${out.c.green('✓')} user ${u.username}: ${what(u)}, ${u.email ? `e-mail ${u.email}` : 'no e-mail'}`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        const [name] = exactArgs(rest, 1, 'user', `${sub} NAME`);
        const u = await call<UserRow>(remote, 'PATCH', userPath(name!), { disabled: sub === 'disable' });
        out.result({ user: u });
        out.line(`${out.c.green('✓')} user ${u.username} ${sub === 'disable'
          ? `disabled: cannot sign in; its tokens are revoked (\`hfx user enable ${u.username}\` lets it sign in again)`
          : 'enabled: can sign in again (tokens revoked when it was disabled stay revoked)'}`);
        return 0;
      }
      default:
        throw unknownSub(sub);
    }
  },
};
