import { Metadata, MetadataKind } from '@tufjs/models';
import type { SigningKey, TufKeyJson } from './keys.js';
import type { Signed, TargetEntry } from '../wire/metadata.js';

/**
 * hfx's TUF repositories (docs/distribution.md), as metadata. Pure: the caller supplies versions,
 * expiry times and keys, and gets signed JSON documents back.
 *
 * Roles: `root` (offline keys, a threshold); top-level `targets` (an offline key) lists nothing
 * itself and delegates every path to the role `online`, whose key the server holds; `snapshot`
 * and `timestamp` are signed by that same online key. One root and one top-level targets serve
 * every customer's repository; each repository has its own `online`, `snapshot` and `timestamp`.
 */
export const SPEC_VERSION = '1.0.31';
export const ONLINE_ROLE = 'online';
/** The repository of installations that belong to no customer (the vendor's own): everything for everyone. */
export const EVERYONE = '_everyone';

export type Role = 'root' | 'targets' | 'snapshot' | 'timestamp' | typeof ONLINE_ROLE;

/** The target path of an archive: its id and .zip; served as `targets/{sha256}.{id}.zip`. */
export const targetPath = (id: string) => `${id}.zip`;

/** TUF dates: RFC 3339 in UTC, to the second. */
export function expiresIn(seconds: number, now = Date.now()): string {
  return `${new Date(now + seconds * 1000).toISOString().slice(0, 19)}Z`;
}

function signDoc(kind: MetadataKind, signed: Record<string, unknown>, keys: readonly SigningKey[]): Signed {
  // Through @tufjs/models: it checks the shape, and signs the canonical JSON TUF clients verify.
  const md = Metadata.fromJSON(kind as MetadataKind.Root, { signed, signatures: [] } as never);
  for (const k of keys) md.sign((data) => k.sign(data));
  return md.toJSON() as Signed;
}

const keysOf = (keys: readonly SigningKey[] | readonly { keyid: string; json: TufKeyJson }[]) =>
  Object.fromEntries(keys.map((k) => [k.keyid, k.json]));

export interface RootSpec {
  version: number;
  expires: string;
  root: { keys: { keyid: string; json: TufKeyJson }[]; threshold: number };
  targets: { keys: { keyid: string; json: TufKeyJson }[]; threshold: number };
  online: { keyid: string; json: TufKeyJson };
}

/** The signed part of a root. */
export function rootSigned(s: RootSpec): Record<string, unknown> {
  return {
    _type: 'root',
    spec_version: SPEC_VERSION,
    version: s.version,
    expires: s.expires,
    consistent_snapshot: true,
    keys: keysOf([...s.root.keys, ...s.targets.keys, s.online]),
    roles: {
      root: { keyids: s.root.keys.map((k) => k.keyid), threshold: s.root.threshold },
      targets: { keyids: s.targets.keys.map((k) => k.keyid), threshold: s.targets.threshold },
      snapshot: { keyids: [s.online.keyid], threshold: 1 },
      timestamp: { keyids: [s.online.keyid], threshold: 1 },
    },
  };
}

/** A root signed by `signers` (a rotation: the old root's threshold and the new one's). */
export function signRoot(s: RootSpec, signers: readonly SigningKey[]): Signed {
  return signDoc(MetadataKind.Root, rootSigned(s), signers);
}

/** The top-level targets: nothing of its own, every path delegated to the online role. */
export function topTargets(
  version: number,
  expires: string,
  online: { keyid: string; json: TufKeyJson },
  signers: readonly SigningKey[],
): Signed {
  return signDoc(
    MetadataKind.Targets,
    {
      _type: 'targets',
      spec_version: SPEC_VERSION,
      version,
      expires,
      targets: {},
      delegations: {
        keys: keysOf([online]),
        roles: [{ name: ONLINE_ROLE, keyids: [online.keyid], threshold: 1, terminating: true, paths: ['*'] }],
      },
    },
    signers,
  );
}

/** One repository's archives, as the online role lists them. */
export function onlineTargets(
  version: number,
  expires: string,
  entries: readonly TargetEntry[],
  key: SigningKey,
): Signed {
  const targets = Object.fromEntries(
    entries.map((e) => [
      targetPath(e.custom.id),
      { length: e.size, hashes: { sha256: e.sha256 }, custom: { hfx: e.custom } },
    ]),
  );
  return signDoc(MetadataKind.Targets, { _type: 'targets', spec_version: SPEC_VERSION, version, expires, targets }, [
    key,
  ]);
}

export function snapshot(
  version: number,
  expires: string,
  targetsVersion: number,
  onlineVersion: number,
  key: SigningKey,
): Signed {
  return signDoc(
    MetadataKind.Snapshot,
    {
      _type: 'snapshot',
      spec_version: SPEC_VERSION,
      version,
      expires,
      meta: { 'targets.json': { version: targetsVersion }, [`${ONLINE_ROLE}.json`]: { version: onlineVersion } },
    },
    [key],
  );
}

export function timestamp(version: number, expires: string, snapshotVersion: number, key: SigningKey): Signed {
  return signDoc(
    MetadataKind.Timestamp,
    {
      _type: 'timestamp',
      spec_version: SPEC_VERSION,
      version,
      expires,
      meta: { 'snapshot.json': { version: snapshotVersion } },
    },
    [key],
  );
}
