import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../errors.js';
import { newKey, readKeyFile, writeKeyFile, type SigningKey, type TufKeyJson } from './keys.js';
import { expiresIn, signRoot, topTargets, type RootSpec } from './metadata.js';

/**
 * The vendor's side of TUF, on a machine kept offline (docs/distribution.md): `hfx tuf init`
 * makes the keys and the first root; `hfx tuf rotate` the next root (and top-level targets). The
 * directory it works on:
 *
 *   DIR/offline/root-N.key   root keys (a threshold of them signs each root)    — never on a server
 *   DIR/offline/targets.key  the top-level targets key                          — never on a server
 *   DIR/server/online.key    the online key (snapshot, timestamp, role online)  — for `hfx serve --tuf-keys DIR/server`
 *   DIR/server/N.root.json   every root, in order (clients walk the chain)
 *   DIR/server/N.targets.json  the top-level targets, signed offline
 *
 * Installations are given DIR/server/1.root.json out of band (`hfx login … --root FILE`).
 */
export const ROOT_DAYS = 365;
export const TARGETS_DAYS = 365;

const OFFLINE = 'offline';
const SERVER = 'server';

export interface InitResult {
  dir: string;
  root: { keyids: string[]; threshold: number };
  targetsKeyid: string;
  onlineKeyid: string;
  rootFile: string;
  serverDir: string;
}

export function initTuf(dir: string, opts: { keys: number; threshold: number; now?: number }): InitResult {
  if (!Number.isSafeInteger(opts.keys) || opts.keys < 1 || opts.keys > 20)
    throw new HfxError('HFX_E_USAGE', '--keys is 1 to 20 root keys');
  if (!Number.isSafeInteger(opts.threshold) || opts.threshold < 1 || opts.threshold > opts.keys)
    throw new HfxError('HFX_E_USAGE', `--threshold is 1 to the number of keys (${opts.keys})`);
  if (existsSync(join(dir, SERVER)) || existsSync(join(dir, OFFLINE))) {
    throw new HfxError('HFX_E_USAGE', `${dir} already holds TUF keys`, {
      hint: 'Rotate with `hfx tuf rotate --dir DIR`, or choose another --out.',
    });
  }
  mkdirSync(join(dir, OFFLINE), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, SERVER), { recursive: true, mode: 0o700 });
  const roots = Array.from({ length: opts.keys }, (_, i) => {
    const k = newKey();
    writeKeyFile(join(dir, OFFLINE, `root-${i + 1}.key`), k.pem);
    return k.key;
  });
  const targets = newKey();
  writeKeyFile(join(dir, OFFLINE, 'targets.key'), targets.pem);
  const online = newKey();
  writeKeyFile(join(dir, SERVER, 'online.key'), online.pem);
  const spec: RootSpec = {
    version: 1,
    expires: expiresIn(ROOT_DAYS * 86400, opts.now),
    root: { keys: roots, threshold: opts.threshold },
    targets: { keys: [targets.key], threshold: 1 },
    online: online.key,
  };
  const rootFile = join(dir, SERVER, '1.root.json');
  writeJson(rootFile, signRoot(spec, roots));
  writeJson(
    join(dir, SERVER, '1.targets.json'),
    topTargets(1, expiresIn(TARGETS_DAYS * 86400, opts.now), online.key, [targets.key]),
  );
  return {
    dir,
    root: { keyids: roots.map((k) => k.keyid), threshold: opts.threshold },
    targetsKeyid: targets.key.keyid,
    onlineKeyid: online.key.keyid,
    rootFile,
    serverDir: join(dir, SERVER),
  };
}

export interface RotateOptions {
  /** New root keys to add. */
  addRootKeys?: number;
  /** Root key ids (or unique prefixes) to remove. */
  removeRootKeys?: string[];
  threshold?: number;
  /** A new online key (a stolen server, a routine change): root and top-level targets name it. */
  newOnlineKey?: boolean;
  newTargetsKey?: boolean;
  now?: number;
}

export interface RotateResult {
  rootVersion: number;
  targetsVersion: number;
  root: { keyids: string[]; threshold: number };
  onlineKeyid: string;
  targetsKeyid: string;
  signedBy: string[];
}

/** Highest N of the files N.NAME.json in dir. */
export function latestVersion(dir: string, name: 'root' | 'targets'): number {
  const re = new RegExp(`^([1-9]\\d{0,8})\\.${name}\\.json$`);
  const versions = readdirSync(dir)
    .map((f) => re.exec(f)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
  if (!versions.length)
    throw new HfxError('HFX_E_NOT_FOUND', `no N.${name}.json in ${dir}`, {
      hint: 'Make the keys and the first root with `hfx tuf init --out DIR`.',
    });
  return Math.max(...versions);
}

interface Role {
  keyids: string[];
  threshold: number;
}

/** A root's metadata; its roles always include root (TUF requires the four top-level roles). */
interface RootDoc {
  signed: { version: number; keys: Record<string, TufKeyJson>; roles: Record<string, Role> & { root: Role } };
}

/** The number of a root key file, root-N.key. */
const rootKeyNumber = (file: string): number => Number(file.slice('root-'.length, -'.key'.length));

/**
 * The next root, signed by a threshold of the current root's keys and of the new root's keys
 * (specification §5.3.4), and the next top-level targets. Keys that leave are renamed
 * `*.retired`, so a mistake can be undone by hand; nothing is deleted.
 */
export function rotateTuf(dir: string, o: RotateOptions): RotateResult {
  const server = join(dir, SERVER);
  const offline = join(dir, OFFLINE);
  const n = latestVersion(server, 'root');
  const cur = JSON.parse(readFileSync(join(server, `${n}.root.json`), 'utf8')) as RootDoc;
  const offlineKeys = new Map<string, { key: SigningKey; file: string }>();
  for (const f of readdirSync(offline).filter((x) => /^root-\d+\.key$/.test(x))) {
    const key = readKeyFile(join(offline, f), 'root key');
    offlineKeys.set(key.keyid, { key, file: f });
  }
  const oldRole = cur.signed.roles.root;
  const oldSigners = oldRole.keyids
    .map((id) => offlineKeys.get(id)?.key)
    .filter((k): k is SigningKey => k !== undefined);
  if (oldSigners.length < oldRole.threshold) {
    throw new HfxError(
      'HFX_E_SIGNATURE',
      `root ${n} needs ${oldRole.threshold} of its keys to sign the next root; ${dir}/offline has ${oldSigners.length}`,
      {
        hint: 'Bring the other root key files into DIR/offline (root-N.key) for the signing, then take them away again.',
      },
    );
  }
  const removing = new Set<string>();
  for (const prefix of o.removeRootKeys ?? []) {
    const hits = oldRole.keyids.filter((id) => id.startsWith(prefix));
    const [hit, ...more] = hits;
    if (hit === undefined || more.length > 0) {
      throw new HfxError('HFX_E_USAGE', `--remove-root-key ${prefix} names ${hits.length} of root ${n}'s keys`, {
        hint: `Its keys: ${oldRole.keyids.join(', ')}`,
      });
    }
    removing.add(hit);
  }
  const keyJson = (id: string): TufKeyJson => {
    const json = cur.signed.keys[id];
    if (json === undefined) {
      throw new HfxError('HFX_E_METADATA', `root ${n} gives the root role key ${id} but does not list it`);
    }
    return json;
  };
  const kept = oldRole.keyids.filter((id) => !removing.has(id)).map((id) => ({ keyid: id, json: keyJson(id) }));
  let next = Math.max(0, ...[...offlineKeys.values()].map((k) => rootKeyNumber(k.file)));
  const added = Array.from({ length: o.addRootKeys ?? 0 }, () => {
    const k = newKey();
    writeKeyFile(join(offline, `root-${++next}.key`), k.pem);
    offlineKeys.set(k.key.keyid, { key: k.key, file: `root-${next}.key` });
    return k.key;
  });
  const rootKeys = [...kept, ...added.map((k) => ({ keyid: k.keyid, json: k.json }))];
  const threshold = o.threshold ?? Math.min(oldRole.threshold, rootKeys.length);
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > rootKeys.length)
    throw new HfxError('HFX_E_USAGE', `--threshold is 1 to the number of root keys (${rootKeys.length})`);
  const newSigners = rootKeys.map((k) => offlineKeys.get(k.keyid)?.key).filter((k): k is SigningKey => k !== undefined);
  if (newSigners.length < threshold)
    throw new HfxError(
      'HFX_E_SIGNATURE',
      `the new root needs ${threshold} of its keys to sign it; ${dir}/offline has ${newSigners.length}`,
    );

  let targetsKey = readKeyFile(join(offline, 'targets.key'), 'targets key');
  if (o.newTargetsKey) {
    retire(offline, 'targets.key', targetsKey.keyid);
    const k = newKey();
    writeKeyFile(join(offline, 'targets.key'), k.pem);
    targetsKey = k.key;
  }
  let online = readKeyFile(join(server, 'online.key'), 'online key');
  if (o.newOnlineKey) {
    retire(server, 'online.key', online.keyid);
    const k = newKey();
    writeKeyFile(join(server, 'online.key'), k.pem);
    online = k.key;
  }
  const spec: RootSpec = {
    version: n + 1,
    expires: expiresIn(ROOT_DAYS * 86400, o.now),
    root: { keys: rootKeys, threshold },
    targets: { keys: [{ keyid: targetsKey.keyid, json: targetsKey.json }], threshold: 1 },
    online: { keyid: online.keyid, json: online.json },
  };
  // A key in both the old and the new root signs once.
  const signers = [
    ...new Map(
      [...oldSigners.slice(0, oldRole.threshold), ...newSigners.slice(0, threshold)].map((k) => [k.keyid, k]),
    ).values(),
  ];
  writeJson(join(server, `${n + 1}.root.json`), signRoot(spec, signers));
  const t = latestVersion(server, 'targets') + 1;
  writeJson(
    join(server, `${t}.targets.json`),
    topTargets(t, expiresIn(TARGETS_DAYS * 86400, o.now), online, [targetsKey]),
  );
  for (const id of removing) {
    const f = offlineKeys.get(id)?.file;
    if (f) retire(offline, f, id);
  }
  return {
    rootVersion: n + 1,
    targetsVersion: t,
    root: { keyids: rootKeys.map((k) => k.keyid), threshold },
    onlineKeyid: online.keyid,
    targetsKeyid: targetsKey.keyid,
    signedBy: signers.map((k) => k.keyid),
  };
}

function retire(dir: string, file: string, keyid: string): void {
  renameSync(join(dir, file), join(dir, `${file}.retired-${keyid.slice(0, 12)}`));
}

function writeJson(file: string, doc: unknown): void {
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { flag: 'wx' });
}
