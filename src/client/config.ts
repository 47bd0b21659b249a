import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { nonEmpty } from '../env.js';
import { HfxError } from '../errors.js';
import { type Layout, writeFileAtomicSync } from '../engine/index.js';

/** A server as a user logged in to it: in $HFX_CONFIG_DIR (default ~/.config/hfx)/config.json, mode 0600. */
export interface ServerLogin {
  url: string;
  token: string;
  who: string;
}

interface UserConfig {
  current: string | null;
  servers: Record<string, ServerLogin>;
}

function configDir(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HFX_CONFIG_DIR) ?? join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(homedir(), '.config'), 'hfx');
}

function readUserConfig(env: NodeJS.ProcessEnv): UserConfig {
  try {
    return JSON.parse(readFileSync(join(configDir(env), 'config.json'), 'utf8')) as UserConfig;
  } catch {
    return { current: null, servers: {} };
  }
}

export function saveUserLogin(env: NodeJS.ProcessEnv, login: ServerLogin): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const c = readUserConfig(env);
  c.servers[login.url] = login;
  c.current = login.url;
  const file = join(dir, 'config.json');
  writeFileAtomicSync(file, JSON.stringify(c, null, 2) + '\n', 0o600);
  chmodSync(file, 0o600);
  return file;
}

export function currentLogin(env: NodeJS.ProcessEnv, url?: string): ServerLogin {
  const c = readUserConfig(env);
  const u = url ?? c.current;
  const l = u ? c.servers[u] : undefined;
  if (!l)
    throw new HfxError('HFX_E_AUTH', url ? `not logged in to ${url}` : 'not logged in to any hfx server', {
      hint: 'Run `hfx login URL --user NAME`.',
    });
  return l;
}

/**
 * An installation's link to its server: .hfx/server.json (mode 0600), with the installation token;
 * or to a static mirror of its repository (`file:///…`, no token, nothing reported). The trusted
 * TUF metadata is beside it, in .hfx/tuf/ (client/tuf.ts).
 */
export interface InstallationLink {
  url: string;
  token: string | null;
  who: string;
  /** The TUF repository this installation reads: its customer's, or `_everyone`. */
  repo: string;
  installationId: string | null;
  /** How many lines of .hfx/events.jsonl the server has acknowledged. */
  reportedEvents: number;
}

export function linkFile(l: Layout): string {
  return l.server;
}

export function readLink(l: Layout): InstallationLink | null {
  try {
    return JSON.parse(readFileSync(linkFile(l), 'utf8')) as InstallationLink;
  } catch {
    return null;
  }
}

export function saveLink(l: Layout, link: InstallationLink): void {
  writeFileAtomicSync(linkFile(l), JSON.stringify(link, null, 2) + '\n', 0o600);
  chmodSync(linkFile(l), 0o600);
}

export function requireLink(l: Layout): InstallationLink {
  const link = readLink(l);
  if (!link)
    throw new HfxError('HFX_E_AUTH', `${l.home} is not linked to an hfx server`, {
      hint: 'Run `hfx login URL --token-stdin --home DIR` with the installation token on standard input.',
    });
  return link;
}
