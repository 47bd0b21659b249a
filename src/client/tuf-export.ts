import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { HfxError, isHfxError } from '../errors.js';
import { ONLINE_ROLE, targetPath } from '../tuf/metadata.js';
import { send, type Remote } from './http.js';

/**
 * `hfx tuf export --customer C DIR`: a customer's repository as static files, as the server serves
 * them (so every signature still holds): DIR/metadata/ with every root, timestamp.json and the
 * versions it names, and DIR/targets/ with each offered archive under its consistent-snapshot name.
 * Any file server can serve DIR, or a disk can carry it into a site without a connection
 * (`hfx login file:///DIR --home … --root …`). Its timestamp expires as the server's does.
 */
export async function exportRepository(
  remote: Remote,
  repo: string,
  dir: string,
): Promise<{ roots: number; targets: number; bytes: number; expires: string }> {
  const base = `/v1/tuf/${encodeURIComponent(repo)}`;
  const get = async (path: string) => Buffer.from(await (await send(remote, 'GET', `${base}/${path}`)).arrayBuffer());
  const meta = join(dir, 'metadata');
  const tdir = join(dir, 'targets');
  mkdirSync(meta, { recursive: true });
  mkdirSync(tdir, { recursive: true });
  let bytes = 0;
  const put = (d: string, name: string, data: Buffer) => {
    writeFileSync(join(d, name), data);
    bytes += data.length;
  };
  let roots = 0;
  for (let v = 1; ; v++) {
    try {
      put(meta, `${v}.root.json`, await get(`metadata/${v}.root.json`));
      roots = v;
    } catch (e) {
      if (v > 1 && isHfxError(e, 'HFX_E_NOT_FOUND')) break;
      throw e;
    }
  }
  const ts = await get('metadata/timestamp.json');
  const t = JSON.parse(ts.toString('utf8')) as {
    signed: { expires: string; meta: Record<string, { version: number }> };
  };
  const sv = t.signed.meta['snapshot.json']?.version;
  if (!sv) throw new HfxError('HFX_E_METADATA', 'the timestamp names no snapshot');
  const snap = await get(`metadata/${sv}.snapshot.json`);
  const sm = (JSON.parse(snap.toString('utf8')) as { signed: { meta: Record<string, { version: number }> } }).signed
    .meta;
  const tv = sm['targets.json']?.version;
  const ov = sm[`${ONLINE_ROLE}.json`]?.version;
  if (!tv || !ov) throw new HfxError('HFX_E_METADATA', 'the snapshot names no targets');
  put(meta, `${tv}.targets.json`, await get(`metadata/${tv}.targets.json`));
  const online = await get(`metadata/${ov}.${ONLINE_ROLE}.json`);
  put(meta, `${ov}.${ONLINE_ROLE}.json`, online);
  put(meta, `${sv}.snapshot.json`, snap);
  // Last: a mirror read while it is written sees no timestamp naming files not there yet.
  put(meta, 'timestamp.json', ts);
  const listed = (
    JSON.parse(online.toString('utf8')) as {
      signed: {
        targets: Record<string, { length: number; hashes: { sha256: string }; custom?: { hfx?: { id: string } } }>;
      };
    }
  ).signed.targets;
  let n = 0;
  for (const [path, info] of Object.entries(listed)) {
    const id = info.custom?.hfx?.id;
    if (!id || path !== targetPath(id)) continue;
    const name = `${info.hashes.sha256}.${path}`;
    // Archives may be gigabytes: streamed to disk, not held.
    const res = await send(remote, 'GET', `${base}/targets/${encodeURIComponent(name)}`);
    if (!res.body) throw new HfxError('HFX_E_NETWORK', `empty answer for ${name}`);
    await pipeline(Readable.fromWeb(res.body), createWriteStream(join(tdir, name)));
    bytes += info.length;
    n++;
  }
  return { roots, targets: n, bytes, expires: t.signed.expires };
}
