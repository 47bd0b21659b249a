import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { layout, type Layout, readState } from '../engine/index.js';
import { readEvents } from './events.js';
import { call, send, type Remote } from './http.js';
import { readLink, requireLink, saveLink, saveUserLogin, type InstallationLink, type ServerLogin } from './config.js';
import { EVERYONE } from '../tuf/metadata.js';
import { decide, type Decision } from '../tuf/rollout.js';
import { downloadTarget, refresh, trustRoot, type Offered, type TufSource } from './tuf.js';

function remoteOf(url: string, token: string | null): Remote {
  return { url: url.replace(/\/+$/, ''), token };
}

/** `hfx login URL --user U`: a user token, kept in the user's config. */
export async function loginUser(
  env: NodeJS.ProcessEnv,
  url: string,
  username: string,
  password: string,
): Promise<ServerLogin & { file: string }> {
  const r = remoteOf(url, null);
  const res = await call<{ token: string; user: { username: string; role: string } }>(r, 'POST', '/v1/login', {
    username,
    password,
    name: 'hfx login',
  });
  const login: ServerLogin = { url: r.url, token: res.token, who: `${res.user.username} (${res.user.role})` };
  return { ...login, file: saveUserLogin(env, login) };
}

/** A root as `hfx login` shows it before it is trusted. */
export interface RootInfo {
  version: number;
  keyids: string[];
  threshold: number;
}

/**
 * How an installation comes to trust its repository's root: the file given out of band
 * (`--root FILE`), or, when the person at the terminal confirms the key ids shown, the server's
 * own 1.root.json.
 */
export interface RootChoice {
  root?: Buffer;
  confirm?: (info: RootInfo) => Promise<boolean>;
}

/** The TUF repository an installation link reads. */
function tufSource(link: InstallationLink): TufSource {
  return {
    base: link.url.startsWith('file:') ? link.url : `${link.url}/v1/tuf/${encodeURIComponent(link.repo)}`,
    token: link.token,
  };
}

async function bootstrap(l: Layout, src: TufSource, choice: RootChoice): Promise<RootInfo> {
  let root = choice.root;
  if (!root) {
    const offered = await downloadRoot(src);
    const peek = JSON.parse(offered.toString('utf8')) as {
      signed?: { version?: number; roles?: { root?: { keyids?: string[]; threshold?: number } } };
    };
    const info = {
      version: peek.signed?.version ?? 0,
      keyids: peek.signed?.roles?.root?.keyids ?? [],
      threshold: peek.signed?.roles?.root?.threshold ?? 0,
    };
    if (!choice.confirm) {
      throw new HfxError(
        'HFX_E_USAGE',
        "the repository's root must be trusted from outside the connection: give --root FILE",
        {
          hint: 'Your vendor gives 1.root.json with the installation token (made by `hfx tuf init`). On a terminal, hfx login shows its key ids and asks instead.',
        },
      );
    }
    if (!(await choice.confirm(info)))
      throw new HfxError('HFX_E_AUTH', 'the root was not trusted; nothing was linked', {
        hint: "Compare the key ids with your vendor's, or give --root FILE.",
      });
    root = offered;
  }
  const trusted = trustRoot(l, root);
  await refresh(l, src);
  return trusted;
}

async function downloadRoot(src: TufSource): Promise<Buffer> {
  if (src.base.startsWith('file:'))
    return readFileSync(new URL(`${src.base.replace(/\/+$/, '')}/metadata/1.root.json`));
  const res = await send(
    { url: new URL(src.base).origin, token: src.token },
    'GET',
    `${new URL(src.base).pathname}/metadata/1.root.json`,
  );
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Whom GET /v1/me says a token belongs to: a vendor user, a customer's user, or a customer's
 * installation token (by its name).
 */
type TokenOwner =
  | { kind: 'user'; username: string; role: string }
  | { kind: 'customer-user'; username: string; customer: string }
  | { kind: 'customer'; customer: string; token: string };

/**
 * `hfx login URL --token-stdin [--home DIR] [--root FILE]`: with --home, the installation is linked
 * to its customer's TUF repository and trusts its root; else the token goes to the user's config.
 */
export async function loginToken(
  env: NodeJS.ProcessEnv,
  url: string,
  token: string,
  home?: string,
  choice: RootChoice = {},
): Promise<ServerLogin & { file: string; root?: RootInfo }> {
  const r = remoteOf(url, token);
  const me = await call<TokenOwner>(r, 'GET', '/v1/me');
  const who =
    me.kind === 'user'
      ? `${me.username} (${me.role})`
      : `customer ${me.customer} (${me.kind === 'customer' ? me.token : me.username})`;
  const login: ServerLogin = { url: r.url, token, who };
  if (home === undefined) return { ...login, file: saveUserLogin(env, login) };
  const l = layout(resolve(home));
  await readState(l);
  const prev = readLink(l);
  const link: InstallationLink = {
    url: r.url,
    token,
    who,
    repo: me.kind === 'user' ? EVERYONE : me.customer,
    installationId: prev?.url === r.url ? prev.installationId : null,
    reportedEvents: prev?.url === r.url ? prev.reportedEvents : 0,
  };
  const root = await bootstrap(l, tufSource(link), choice);
  saveLink(l, link);
  return { ...login, file: l.server, root };
}

/** `hfx login file:///MIRROR --home DIR --root FILE`: an installation reads a static mirror (`hfx tuf export`); it reports nothing. */
export async function loginMirror(
  url: string,
  home: string,
  choice: RootChoice,
): Promise<{ url: string; who: string; file: string; root: RootInfo }> {
  const l = layout(resolve(home));
  await readState(l);
  const link: InstallationLink = {
    url: url.replace(/\/+$/, ''),
    token: null,
    who: 'a static mirror',
    repo: '',
    installationId: null,
    reportedEvents: 0,
  };
  const root = await bootstrap(l, tufSource(link), choice);
  saveLink(l, link);
  return { url: link.url, who: link.who, file: l.server, root };
}

export async function push(
  login: ServerLogin,
  file: string,
  customer?: string,
): Promise<{ id: string; sha256: string; size: number; customer: string | null; existed?: boolean }> {
  if (!existsSync(file)) throw new HfxError('HFX_E_NOT_FOUND', `${file} does not exist`);
  const body = readFileSync(file);
  const q = customer ? `?customer=${encodeURIComponent(customer)}` : '';
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return call(remoteOf(login.url, login.token), 'POST', `/v1/archives${q}`, bytes);
}

/** An archive the trusted metadata names for this installation, with the rollout that decided (docs/rollouts.md). */
export type Listed = Offered & { rollout: Decision['rollout'] };

export interface Available {
  metadataVersion: number;
  expires: string;
  updates: Listed[];
  hotfixes: (Listed & { applied: boolean })[];
  /** Applied here, under a rollout that was paused or aborted since: the vendor may want them reverted. */
  withdrawn: (Offered & { rollout: NonNullable<Decision['rollout']> })[];
}

/** What the trusted metadata offers this installation: updates from its level on its channel, and hotfixes for its level. */
export async function available(l: Layout, channel?: 'full' | 'security'): Promise<Available> {
  const s = await readState(l);
  const link = requireLink(l);
  const r = await refresh(l, tufSource(link));
  const ch = channel ?? s.channel;
  const applied = new Set(s.hotfixes.map((h) => h.id));
  const mine: Listed[] = [];
  const withdrawn: Available['withdrawn'] = [];
  for (const t of r.targets.filter((x) => x.product === s.product && x.release === s.version)) {
    const d = decide(t, link.installationId);
    if (d.offered || applied.has(t.id)) mine.push({ ...t, rollout: d.rollout });
    if (!d.offered && applied.has(t.id) && d.rollout && (d.rollout.state === 'aborted' || d.rollout.state === 'paused'))
      withdrawn.push({ ...t, rollout: d.rollout });
  }
  const updates = mine
    .filter((t) => t.kind === 'update' && t.level >= s.level && (ch === 'full' || t.channel === 'security'))
    .sort((a, b) => a.level - b.level || (a.toLevel ?? 0) - (b.toLevel ?? 0));
  const hotfixes = mine
    .filter((t) => t.kind === 'hotfix' && t.level === s.level)
    .map((h) => ({ ...h, applied: applied.has(h.id) }));
  return { metadataVersion: r.version, expires: r.expires, updates, hotfixes, withdrawn };
}

/** WSO2's `check`: what the server has for this installation. */
export async function check(home: string): Promise<Available> {
  return available(layout(resolve(home)));
}

/** One offered archive, downloaded (resumably) and checked against the trusted metadata. */
export async function download(l: Layout, id: string): Promise<string> {
  return downloadTarget(l, tufSource(requireLink(l)), id);
}

/** `hfx state --report`: registers the installation on first use, then sends its state and new events. */
export async function report(home: string, name?: string): Promise<{ id: string; created: boolean; events: number }> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const link = requireLink(l);
  if (link.url.startsWith('file:'))
    throw new HfxError('HFX_E_USAGE', `${l.home} reads a static mirror: there is no server to report to`, {
      hint: 'Link it to its server to report: `hfx login URL --token-stdin --home DIR --root FILE`.',
    });
  const events = readEvents(l).slice(link.reportedEvents);
  const body = {
    ...(link.installationId ? { id: link.installationId } : {}),
    ...(name !== undefined ? { name } : link.installationId ? {} : { name: `${hostname()}:${l.home}` }),
    product: s.product,
    release: s.version,
    level: s.level,
    channel: s.channel,
    hotfixes: s.hotfixes.map((h) => h.id),
    events: events.map((e) => ({ kind: e.kind, archive: e.archive, ...(e.reason ? { reason: e.reason } : {}) })),
  };
  const remote = remoteOf(link.url, link.token);
  const r = await call<{ id: string; created: boolean }>(remote, 'POST', '/v1/installations/report', body);
  saveLink(l, { ...requireLink(l), installationId: r.id, reportedEvents: link.reportedEvents + events.length });
  // The content report (what runs, with digests and the pack hash) for the environments view.
  await (await import('./environments.js')).reportEnvironment(home);
  return { ...r, events: events.length };
}
