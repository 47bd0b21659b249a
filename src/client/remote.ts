import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { layout, type Layout } from '../engine/home/layout.js';
import { readState } from '../engine/home/state.js';
import type { TargetsSigned } from '../server/routes/distribution.js';
import { readEvents } from './events.js';
import { call, send, type Remote } from './http.js';
import { readLink, requireLink, saveLink, saveUserLogin, type InstallationLink, type ServerLogin } from './config.js';
import { verifyMetadata } from './metadata.js';

async function serverKey(url: string): Promise<{ keyid: string; publicKey: string }> {
  return call(await remoteOf(url, null), 'GET', '/v1/server-key');
}

async function remoteOf(url: string, token: string | null): Promise<Remote> {
  return { url: url.replace(/\/+$/, ''), token };
}

/** `hfx login URL --user U`: a user token, kept in the user's config. */
export async function loginUser(env: NodeJS.ProcessEnv, url: string, username: string, password: string): Promise<ServerLogin & { file: string }> {
  const r = await remoteOf(url, null);
  const key = await serverKey(r.url);
  const res = await call<{ token: string; user: { username: string; role: string } }>(r, 'POST', '/v1/login', { username, password, name: 'hfx login' });
  const login: ServerLogin = { url: r.url, token: res.token, who: `${res.user.username} (${res.user.role})`, keyid: key.keyid, publicKey: key.publicKey };
  return { ...login, file: saveUserLogin(env, login) };
}

/** `hfx login URL --token-stdin [--home DIR]`: an installation token links the installation, else a user token goes to the config. */
export async function loginToken(env: NodeJS.ProcessEnv, url: string, token: string, home?: string): Promise<ServerLogin & { file: string }> {
  const r = await remoteOf(url, token);
  const key = await serverKey(r.url);
  const me = await call<{ kind: string; username?: string; role?: string; customer?: string; token?: string }>(r, 'GET', '/v1/me');
  const who = me.kind === 'user' ? `${me.username} (${me.role})` : `customer ${me.customer} (${me.token})`;
  const login: ServerLogin = { url: r.url, token, who, keyid: key.keyid, publicKey: key.publicKey };
  if (home === undefined) return { ...login, file: saveUserLogin(env, login) };
  const l = layout(resolve(home));
  await readState(l);
  const prev = readLink(l);
  // The rollback counter survives a re-login to the same server.
  saveLink(l, { ...login, installationId: prev?.url === r.url ? prev.installationId : null, lastVersion: prev?.url === r.url ? prev.lastVersion : 0, reportedEvents: prev?.url === r.url ? prev.reportedEvents : 0 });
  return { ...login, file: join(l.dir, 'server.json') };
}

export async function push(login: ServerLogin, file: string, customer?: string): Promise<{ id: string; sha256: string; size: number; customer: string | null; existed?: boolean }> {
  if (!existsSync(file)) throw new HfxError('HFX_E_NOT_FOUND', `${file} does not exist`);
  const body = readFileSync(file);
  const q = customer ? `?customer=${encodeURIComponent(customer)}` : '';
  return call(await remoteOf(login.url, login.token), 'POST', `/v1/archives${q}`, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
}

/** Fetches and checks the metadata for an installation, and remembers its version. */
export async function fetchMetadata(l: Layout, link: InstallationLink, channel?: 'full' | 'security'): Promise<TargetsSigned> {
  const s = await readState(l);
  const ch = channel ?? s.channel;
  // `since`: the server answers with at least this version, whichever of its processes answers.
  const q = new URLSearchParams({ product: s.product, release: s.version, level: String(s.level), channel: ch, ...(link.lastVersion > 0 ? { since: String(link.lastVersion) } : {}) });
  const doc = await call(await remoteOf(link.url, link.token), 'GET', `/v1/metadata?${q}`);
  const signed = verifyMetadata(doc, { publicKey: link.publicKey, product: s.product, release: s.version, level: s.level, lastVersion: link.lastVersion });
  if (signed.version > link.lastVersion) saveLink(l, { ...link, lastVersion: signed.version });
  return signed;
}

export interface Available {
  metadataVersion: number;
  expires: string;
  updates: TargetsSigned['updates'];
  hotfixes: (TargetsSigned['hotfixes'][number] & { applied: boolean })[];
}

/** WSO2's `check`: what the server has for this installation. */
export async function check(home: string): Promise<Available> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const m = await fetchMetadata(l, requireLink(l));
  const applied = new Set(s.hotfixes.map((h) => h.id));
  return { metadataVersion: m.version, expires: m.expires, updates: m.updates, hotfixes: m.hotfixes.map((h) => ({ ...h, applied: applied.has(h.id) })) };
}

/**
 * Downloads one archive into .hfx/downloads/, resuming a partial download with Range/If-Range,
 * and refuses anything that is not exactly the size and sha256 the signed metadata names
 * (mix-and-match, and endless data: it stops reading past the size).
 */
export async function download(l: Layout, link: InstallationLink, target: { id: string; sha256: string; size: number }): Promise<string> {
  const dir = join(l.dir, 'downloads');
  mkdirSync(dir, { recursive: true });
  const final = join(dir, `${target.sha256}.zip`);
  if (existsSync(final)) return final;
  const part = `${final}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > target.size) {
    rmSync(part);
    have = 0;
  }
  let n = have;
  if (have < target.size) {
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-`, 'if-range': `"${target.sha256}"` } : {};
    const res = await send(await remoteOf(link.url, link.token), 'GET', `/v1/archives/${encodeURIComponent(target.id)}/download`, undefined, headers);
    if (have > 0 && res.status !== 206) n = have = 0; // the server sent everything again
    const fd = openSync(part, have > 0 ? 'a' : 'w', 0o600);
    try {
      if (!res.body) throw new HfxError('HFX_E_NETWORK', 'empty download');
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        n += chunk.length;
        if (n > target.size) {
          rmSync(part, { force: true });
          throw new HfxError('HFX_E_INTEGRITY', `${target.id} is longer than the ${target.size} bytes the signed metadata names`, { hint: 'The server or something in between sent other data; nothing was applied.' });
        }
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
  }
  const h = createHash('sha256').update(readFileSync(part)).digest('hex');
  if (n !== target.size || h !== target.sha256) {
    rmSync(part, { force: true });
    throw new HfxError('HFX_E_INTEGRITY', `${target.id} does not match the size and sha256 in the signed metadata`, { hint: 'Nothing was applied. Try again; if it persists, tell the vendor.' });
  }
  renameSync(part, final);
  return final;
}

/** `hfx state --report`: registers the installation on first use, then sends its state and new events. */
export async function report(home: string, name?: string): Promise<{ id: string; created: boolean; events: number }> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const link = requireLink(l);
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
  const r = await call<{ id: string; created: boolean }>(await remoteOf(link.url, link.token), 'POST', '/v1/installations/report', body);
  saveLink(l, { ...requireLink(l), installationId: r.id, reportedEvents: link.reportedEvents + events.length });
  // The content report (what runs, with digests and the pack hash) for the environments view.
  await (await import('./environments.js')).reportEnvironment(home);
  return { ...r, events: events.length };
}


