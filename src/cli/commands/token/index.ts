import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import { defineCommandWithSubcommands, flags, subcommandsOf, synopsis } from '../../command.js';
import { remoteOf } from '../../server-remote.js';
import type { TokenRow } from '../../../wire/admin.js';

const TOKEN_FLAGS = flags({ server: { type: 'string' }, all: { type: 'boolean' }, customer: { type: 'string' } });
const subcommand = subcommandsOf<typeof TOKEN_FLAGS>();

const list = subcommand({
  name: 'list',
  summary: "your tokens, or as an admin everyone's: owner, made, last used, expiry",
  usage: '[--all]',
  async run({ values: v }, ctx) {
    const { out } = ctx;
    const r = await call<{ tokens: TokenRow[]; capped: boolean }>(
      remoteOf(ctx, v),
      'GET',
      `/v1/tokens${v.all ? '?all=true' : ''}`,
    );
    out.result(r);
    const { c } = out;
    for (const t of r.tokens) {
      const state = t.revoked
        ? c.dim(' revoked')
        : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
          ? c.dim(' expired')
          : '';
      const owner = t.customer ? `customer ${t.customer}` : `user ${t.user ?? '?'}`;
      const used = `last used ${t.lastUsedAt ?? 'never'}${t.expiresAt ? `, expires ${t.expiresAt}` : ''}`;
      const current = t.current ? c.green(' (this login)') : '';
      out.line(`${String(t.id).padStart(6)}  ${t.name}${current}${state}  ${c.dim(owner)}  ${c.dim(used)}`);
    }
    if (r.tokens.length === 0) out.line('no tokens');
    if (r.capped) out.warn('the newest 1,000 are shown');
    return 0;
  },
});

const make = subcommand({
  name: 'new',
  summary: 'a token that acts as you (for CI), or with --customer an installation token (admin); printed once',
  args: ['NAME'],
  usage: 'NAME [--customer ID]',
  async run({ values: v, args: [name] }, ctx) {
    const { out } = ctx;
    const remote = remoteOf(ctx, v);
    const customer = v.customer;
    const r = await call<{ token: string }>(
      remote,
      'POST',
      customer ? `/v1/customers/${encodeURIComponent(customer)}/tokens` : '/v1/tokens',
      { name },
    );
    out.result({ name, customer: customer ?? null, token: r.token });
    // The token alone on stdout, so that TOKEN=$(hfx token new ci) works; the advice on stderr.
    out.line(r.token);
    out.note(
      out.c.dim(
        customer
          ? `Shown only this once. On the installation: hfx login ${remote.url} --token-stdin --home DIR (the token on stdin)`
          : 'Shown only this once. It acts as you, with your role.',
      ),
    );
    return 0;
  },
});

const revoke = subcommand({
  name: 'revoke',
  summary: "cut a token off: your own, or as an admin anyone's",
  args: ['ID'],
  async run({ values: v, args: [id] }, ctx) {
    const { out } = ctx;
    const remote = remoteOf(ctx, v);
    if (!/^[1-9]\d{0,9}$/.test(id))
      throw new HfxError('HFX_E_USAGE', `a token id is a number (see \`hfx token list\`), not ${JSON.stringify(id)}`);
    const r = await call<{ id: number; already: boolean }>(remote, 'DELETE', `/v1/tokens/${id}`);
    out.result(r);
    out.line(r.already ? `token ${r.id} was already revoked` : `${out.c.green('✓')} token ${r.id} revoked`);
    return 0;
  },
});

const SUBCOMMANDS = [list, make, revoke];

export const tokenCommand = defineCommandWithSubcommands({
  name: 'token',
  summary: 'API tokens on the server: list the ones in use, make one for CI or an installation, revoke one',
  usage: `hfx token ${synopsis(SUBCOMMANDS)} [--server URL]`,
  details: [
    "`list` shows your tokens, or as an admin everyone's, installation tokens included: the owner, when each was made and last used, and when it expires (never the secret). `--all` adds revoked and expired ones.",
    '`new NAME` makes a token that acts as you (for CI); `--customer ID` (admin) makes an installation token for that customer, linked on the ' +
      'installation with `hfx login URL --token-stdin --home DIR` (the token on standard input). The token is printed once.',
    "`revoke ID` cuts one off: your own, or as an admin anyone's. It stops working within 5 seconds on every server process. Uses the login of `hfx login URL --user NAME`.",
  ].join('\n\n'),
  examples: [
    '$ hfx token list',
    '$ hfx token new ci-nightly',
    '$ hfx token new acme-prod-1 --customer acme',
    '$ hfx token revoke 42',
  ],
  options: TOKEN_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: SUBCOMMANDS,
});
