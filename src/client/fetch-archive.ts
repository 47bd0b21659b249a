import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { layout } from '../engine/home/layout.js';
import { readState } from '../engine/home/state.js';
import { chooseChain } from '../engine/ops/update.js';
import { requireLink } from './config.js';
import { download, fetchMetadata } from './remote.js';

/** `hfx apply HF-ID --server`: the hotfix as the signed metadata names it, downloaded and checked. */
export async function downloadHotfix(home: string, id: string): Promise<string> {
  const l = layout(resolve(home));
  const link = requireLink(l);
  const m = await fetchMetadata(l, link);
  const t = m.hotfixes.find((h) => h.id === id);
  if (!t) throw new HfxError('HFX_E_NOT_FOUND', `the server offers no hotfix ${id} for ${m.product} ${m.release} level ${m.level}`, { hint: 'See `hfx check`.' });
  return download(l, link, t);
}

/** `hfx update --server`: every update of the chain, downloaded and checked, in a directory for `hfx update --from`. */
export async function downloadUpdates(home: string, channel?: 'full' | 'security'): Promise<string> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const link = requireLink(l);
  const m = await fetchMetadata(l, link, channel);
  const chain = chooseChain(m.updates, s.level, channel ?? s.channel);
  const dir = join(l.dir, 'downloads', 'chain');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const c of chain) {
    const u = m.updates.find((x) => x.id === c.id)!;
    symlinkSync(await download(l, link, u), join(dir, `${u.id}.zip`));
  }
  return dir;
}
