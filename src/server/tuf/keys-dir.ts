import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { keyFromPem, readKeyFile, type SigningKey } from '../../tuf/keys.js';
import { ONLINE_ROLE } from '../../tuf/metadata.js';
import { initTuf, latestVersion } from '../../tuf/offline.js';

/**
 * What `hfx serve` needs of TUF: the online key (its private half: from --tuf-keys DIR/online.key
 * or HFX_TUF_ONLINE_KEY, never the database), and the public metadata signed offline: every root
 * (N.root.json, which clients walk) and every top-level targets (N.targets.json).
 */
export interface TufServerKeys {
  online: SigningKey;
  roots: Map<number, Buffer>;
  targets: Map<number, Buffer>;
  rootVersion: number;
  targetsVersion: number;
  /** Made on this machine for development: the root and targets keys are not offline. */
  development: boolean;
  dir: string;
}

interface Doc {
  signed: {
    roles?: Record<string, { keyids: string[] }>;
    delegations?: { roles?: { name: string; keyids: string[] }[] };
  };
}

function loadVersions(dir: string, name: 'root' | 'targets'): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  const re = new RegExp(`^([1-9]\\d{0,8})\\.${name}\\.json$`);
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (m) out.set(Number(m[1]), readFileSync(join(dir, f)));
  }
  return out;
}

/**
 * Reads the server's TUF directory, and checks that the online key is the one the newest root
 * and top-level targets name (a rotation copied only in part would otherwise sign metadata no
 * installation accepts).
 */
export function loadTufKeys(dir: string, env: NodeJS.ProcessEnv = {}, development = false): TufServerKeys {
  if (!existsSync(dir))
    throw new HfxError('HFX_E_NOT_FOUND', `no TUF directory ${dir}`, {
      hint: "Make one on the vendor's offline machine: `hfx tuf init --out DIR`, then give `hfx serve --tuf-keys DIR/server`.",
    });
  const online = env.HFX_TUF_ONLINE_KEY
    ? keyFromPem(env.HFX_TUF_ONLINE_KEY, 'HFX_TUF_ONLINE_KEY')
    : readKeyFile(join(dir, 'online.key'), 'online key');
  const rootVersion = latestVersion(dir, 'root');
  const targetsVersion = latestVersion(dir, 'targets');
  const roots = loadVersions(dir, 'root');
  const targets = loadVersions(dir, 'targets');
  for (let v = 1; v <= rootVersion; v++) {
    if (!roots.has(v))
      throw new HfxError('HFX_E_NOT_FOUND', `${dir} has ${rootVersion}.root.json but not ${v}.root.json`, {
        hint: 'Installations walk every root in order: copy them all from the offline machine.',
      });
  }
  // Read again after latestVersion: a file gone in between is missing as any other would be.
  const doc = (versions: Map<number, Buffer>, v: number, name: string): Doc => {
    const bytes = versions.get(v);
    if (!bytes) throw new HfxError('HFX_E_NOT_FOUND', `no ${v}.${name}.json in ${dir}`);
    return JSON.parse(bytes.toString('utf8')) as Doc;
  };
  const root = doc(roots, rootVersion, 'root');
  const top = doc(targets, targetsVersion, 'targets');
  const named = [
    root.signed.roles?.snapshot?.keyids,
    root.signed.roles?.timestamp?.keyids,
    top.signed.delegations?.roles?.find((r) => r.name === ONLINE_ROLE)?.keyids,
  ];
  if (!named.every((ids) => ids?.length === 1 && ids[0] === online.keyid)) {
    throw new HfxError(
      'HFX_E_SIGNATURE',
      `the online key ${online.keyid.slice(0, 12)} is not the one ${rootVersion}.root.json and ${targetsVersion}.targets.json name`,
      {
        hint: 'Copy online.key together with the root and targets that `hfx tuf rotate` made for it.',
      },
    );
  }
  return { online, roots, targets, rootVersion, targetsVersion, development, dir };
}

/**
 * A development repository for a server started without --tuf-keys on the embedded store: keys
 * made once in DATA/tuf, the root and targets keys beside the online one. Fine for trying hfx; a
 * vendor's security team wants `hfx tuf init` on an offline machine.
 */
export function developmentTufKeys(dataDir: string): { keys: TufServerKeys; made: boolean } {
  const dir = join(dataDir, 'tuf');
  const made = !existsSync(join(dir, 'server'));
  if (made) initTuf(dir, { keys: 1, threshold: 1 });
  return { keys: loadTufKeys(join(dir, 'server'), {}, true), made };
}
