import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { expectedTree, layout, type NodeState, readState } from '../engine/index.js';
import { requireLink } from './config.js';
import { call } from './http.js';
import type { EnvironmentReport } from '../wire/fleet.js';

/**
 * The content hash of a pack: sha256 over its expected tree (the baseline with every update and
 * hotfix laid over it), one line per path in byte order: path, type, mode, and the file's sha256 or
 * the link's target, separated by NUL. Two packs with the same hash hold the same files.
 */
export function packContentHash(tree: Map<string, NodeState>): string {
  const h = createHash('sha256');
  for (const [path, n] of [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const what = n.type === 'file' ? `${n.mode}\0${n.sha256}` : n.type === 'dir' ? n.mode : n.target;
    h.update(`${path}\0${n.type}\0${what}\n`);
  }
  return h.digest('hex');
}

/** What an installation tells the server about its content (for environments). */
async function environmentReportOf(home: string, installation: string): Promise<EnvironmentReport> {
  const l = layout(resolve(home));
  const s = await readState(l);
  return {
    installation,
    release: s.version,
    level: s.level,
    hotfixes: s.hotfixes.map((h) => ({ id: h.id, digest: h.digest })),
    updates: s.updates.map((u) => ({ id: u.id, digest: u.digest })),
    packHash: packContentHash(await expectedTree(l, s)),
  };
}

/** Sends the installation's content report; it must have been registered with `hfx state --report` first. */
export async function reportEnvironment(home: string): Promise<EnvironmentReport & { environment: string | null }> {
  const l = layout(resolve(home));
  const link = requireLink(l);
  if (!link.installationId)
    throw new HfxError('HFX_E_STATE', `${l.home} has not registered with its server yet`, {
      hint: 'Run `hfx state --report` first.',
    });
  const body = await environmentReportOf(home, link.installationId);
  const r = await call<{ environment: string | null }>(
    { url: link.url.replace(/\/+$/, ''), token: link.token },
    'POST',
    '/v1/environments/report',
    body,
  );
  return { ...body, environment: r.environment };
}

/** The user's login as a Remote. */
export function userRemote(login: { url: string; token: string | null }): { url: string; token: string | null } {
  return { url: login.url.replace(/\/+$/, ''), token: login.token };
}

/**
 * What a built tree holds at the paths a hotfix touches, in the server's notation: a file's sha256,
 * `->target` for a link, `dir`, or null when the path is absent. Sent with a merge record so the
 * server can check the merged change by content.
 */
export function filesAt(root: string, paths: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of paths) {
    const abs = join(root, ...p.split('/'));
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      out[p] = null;
      continue;
    }
    out[p] = st.isSymbolicLink()
      ? `->${readlinkSync(abs)}`
      : st.isDirectory()
        ? 'dir'
        : createHash('sha256').update(readFileSync(abs)).digest('hex');
  }
  return out;
}
