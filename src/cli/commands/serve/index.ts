import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { nonEmpty } from '../../../env.js';
import { HfxError } from '../../../errors.js';
import { resetPassword } from '../../../server/reset-password.js';
import { startServer } from '../../../server/serve.js';
import { WEB_DIR } from '../../../server/web.js';
import { bytes, defineCommand, duration, int } from '../../command.js';
import { pipedSecret } from '../../prompt.js';
import { isRegistrySpec } from '../../../server/blobs/store.js';

/** `10.0.0.0/8,192.168.1.7`: each a CIDR or a single address, checked now rather than at the first webhook. */
function cidrList(v: string): string[] {
  const out: string[] = [];
  for (const part of v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [addr = '', bits] = part.split('/');
    const kind = isIP(addr);
    const max = kind === 6 ? 128 : 32;
    if (kind === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new HfxError('HFX_E_USAGE', `--webhook-allow: ${JSON.stringify(part)} is not an address or CIDR`, {
        hint: 'For example: --webhook-allow 10.20.0.0/16,192.168.1.7',
      });
    }
    out.push(bits === undefined ? `${addr}/${max}` : part);
  }
  return out;
}

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'run the hfx server: registry, distribution, fleet and cases API, and the web dashboard',
  usage:
    'hfx serve [--port N] [--host ADDR] [--data DIR] [--blobs DIR | --blobs oci://REGISTRY/REPO] [--max-upload SIZE] [--trust-proxy ADDRS] [--webhook-allow CIDRS] [--tuf-keys DIR]\n       hfx serve --reset-admin-password [--user NAME] [--data DIR]',
  details: `Stores everything under --data (default $HFX_DATA, else ./hfx-data): an embedded PGlite
database and the archive blobs. With DATABASE_URL=postgres://… it uses PostgreSQL instead, and
several servers may run side by side on it (give them one shared --blobs directory).

--blobs oci://REGISTRY/REPO ($HFX_BLOBS) keeps the archives in an OCI registry instead, each
pushed as \`hfx push --oci\` would (tagged with its id), so servers on different machines share
nothing but PostgreSQL and the registry. Login from HFX_REGISTRY_USER / HFX_REGISTRY_PASSWORD;
plain http only to localhost/127.x unless HFX_REGISTRY_INSECURE=1; each registry request gets
HFX_BLOBS_TIMEOUT (default 10s). While the registry is down or slow, uploads and downloads answer
503 with Retry-After and nothing is recorded; update checks never touch it (docs/server.md).

On the very first start it creates the user "admin" and prints its password once (or uses
HFX_ADMIN_PASSWORD). Archive uploads over --max-upload (default $HFX_MAX_UPLOAD, else 4G) are
refused with HFX_E_TOO_LARGE.

Distribution is a TUF repository per customer (docs/distribution.md), signed online with the key in
--tuf-keys DIR ($HFX_TUF_KEYS; the DIR/server that \`hfx tuf init\` made, or HFX_TUF_ONLINE_KEY for
the key alone), beside the roots and targets signed offline. Without it, on the embedded store, the
server makes development keys in DATA/tuf and says so; with DATABASE_URL it is required, so every
process signs with the same keys.

A lost admin password: --reset-admin-password (with the same --data, or DATABASE_URL) sets a new
one for --user (default admin) and exits without serving: from HFX_NEW_PASSWORD, else standard
input when it is not a terminal, else generated and printed once. The user is enabled again and
its tokens are revoked; the audit log records it.

Facing the internet (docs/security.md): behind a reverse proxy, --trust-proxy ADDRS ($HFX_TRUST_PROXY)
names the proxies (addresses, CIDRs, or loopback/linklocal/uniquelocal) whose X-Forwarded-For gives
the client address that failed logins are throttled by; without it the socket's peer is the client.
Webhooks may not reach loopback, private, link-local, unique-local or other internal addresses;
--webhook-allow CIDR[,CIDR] ($HFX_WEBHOOK_ALLOW) opens chosen ranges for in-house receivers. On
SIGTERM, requests in flight get 10 s (HFX_SHUTDOWN_GRACE seconds) to finish, then are cut off. Logs are JSON lines on stdout. The dashboard is at the server's address
(/, docs/dashboard.md); the API is described at /openapi.json.`,
  examples: [
    '$ hfx serve --port 8080',
    '$ DATABASE_URL=postgres://hfx@db/hfx hfx serve --port 8080 --blobs /srv/hfx-blobs',
    '$ DATABASE_URL=postgres://hfx@db/hfx HFX_REGISTRY_USER=hfx HFX_REGISTRY_PASSWORD=… hfx serve --blobs oci://registry.example.com/hfx/archives --tuf-keys /etc/hfx/tuf',
    '$ hfx serve --max-upload 10G     # products whose update archives are larger than 4 GiB',
    '$ hfx serve --host 0.0.0.0 --trust-proxy 10.0.0.5 --webhook-allow 10.20.0.0/16   # behind a proxy; an in-house receiver',
    '$ hfx serve --reset-admin-password --data /srv/hfx     # a lost admin password: prints a new one',
  ],
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    blobs: { type: 'string' },
    'max-upload': { type: 'string' },
    'trust-proxy': { type: 'string' },
    'webhook-allow': { type: 'string' },
    'reset-admin-password': { type: 'boolean' },
    'tuf-keys': { type: 'string' },
    user: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run({ values: v }, { io, out, path }) {
    const env = io.env;
    if (v['reset-admin-password']) {
      const given = await pipedSecret(io, 'HFX_NEW_PASSWORD');
      const r = await resetPassword({
        dataDir: path(v.data ?? env.HFX_DATA ?? 'hfx-data'),
        databaseUrl: nonEmpty(env.DATABASE_URL),
        username: v.user ?? 'admin',
        password: given,
      });
      out.result({ username: r.username, tokensRevoked: r.revoked, ...(r.generated ? { password: r.password } : {}) });
      out.line(`${out.c.green('✓')} new password for ${r.username}${r.generated ? `: ${r.password}` : ' set'}`);
      out.line(
        `  ${r.revoked} token(s) of ${r.username} revoked${r.generated ? '; the password is shown only this once' : ''}`,
      );
      return 0;
    }
    if (v.user !== undefined)
      throw new HfxError('HFX_E_USAGE', '--user goes with --reset-admin-password', { hint: 'See `hfx serve --help`.' });
    const blobSpec = v.blobs ?? nonEmpty(env.HFX_BLOBS);
    const registryUser = nonEmpty(env.HFX_REGISTRY_USER);
    const registryPassword = nonEmpty(env.HFX_REGISTRY_PASSWORD);
    if (
      blobSpec !== undefined &&
      isRegistrySpec(blobSpec) &&
      (registryUser === undefined) !== (registryPassword === undefined)
    ) {
      throw new HfxError('HFX_E_USAGE', 'set both HFX_REGISTRY_USER and HFX_REGISTRY_PASSWORD, or neither', {
        hint: 'They are the login to the registry of --blobs oci://….',
      });
    }
    const s = await startServer({
      port: int(v.port ?? env.PORT, 'port', 8080),
      host: v.host ?? env.HFX_HOST ?? '127.0.0.1',
      dataDir: path(v.data ?? env.HFX_DATA ?? 'hfx-data'),
      databaseUrl: nonEmpty(env.DATABASE_URL),
      blobDir: blobSpec === undefined || isRegistrySpec(blobSpec) ? blobSpec : path(blobSpec),
      blobRegistry: {
        creds:
          registryUser !== undefined && registryPassword !== undefined
            ? { username: registryUser, password: registryPassword }
            : null,
        insecure: env.HFX_REGISTRY_INSECURE === '1',
        timeoutMs: duration(nonEmpty(env.HFX_BLOBS_TIMEOUT), 'HFX_BLOBS_TIMEOUT', 10_000),
      },
      adminPassword: nonEmpty(env.HFX_ADMIN_PASSWORD),
      maxUpload: bytes(v['max-upload'] ?? nonEmpty(env.HFX_MAX_UPLOAD), 'max-upload', 4 * 1024 ** 3),
      logger: v.quiet !== true,
      tufKeys:
        v['tuf-keys'] !== undefined ? path(v['tuf-keys']) : env.HFX_TUF_KEYS ? path(env.HFX_TUF_KEYS) : undefined,
      onDevelopmentKeys: (dir, made) => {
        io.stderr.write(
          `${made ? 'Made development TUF keys' : 'Using the development TUF keys'} in ${dir}: its root and targets keys are on this machine.\n` +
            `  Installations trust ${join(dir, '1.root.json')} (hfx login … --root). For production: hfx tuf init --out DIR on an offline machine, then --tuf-keys DIR/server.\n`,
        );
      },
      limits: {
        trustProxy: v['trust-proxy'] ?? nonEmpty(env.HFX_TRUST_PROXY),
        webhookAllow: cidrList(v['webhook-allow'] ?? env.HFX_WEBHOOK_ALLOW ?? ''),
        ...(env.HFX_SHUTDOWN_GRACE
          ? { shutdownGraceMs: int(env.HFX_SHUTDOWN_GRACE, 'HFX_SHUTDOWN_GRACE') * 1000 }
          : {}),
      },
      onAdminCreated: (u, pw, generated) => {
        io.stderr.write(
          generated
            ? `\nFirst start: created user "${u}" with password ${pw}\nIt is shown only this once. Sign in to the dashboard with it, or: hfx login URL --user ${u}\n\n`
            : `\nFirst start: created user "${u}" with the password from HFX_ADMIN_PASSWORD\n\n`,
        );
      },
    });
    io.stderr.write(`hfx server on ${s.url} (store: ${s.store.kind}); API description at ${s.url}/openapi.json\n`);
    if (s.blobs.kind === 'registry') io.stderr.write(`Archives in the registry ${s.blobs.location}\n`);
    if (existsSync(join(WEB_DIR, 'index.html')))
      io.stderr.write(`Dashboard: ${s.url}/ (sign in as a user of this server)\n`);
    else io.stderr.write('No dashboard build in dist/web: run `npm run build` to serve it.\n');
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void s.close().then(resolveStop);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
});
