import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { chooseChain, layout, readState } from '../engine/index.js';
import { available, download } from './remote.js';

/** `hfx apply HF-ID --server`: the hotfix as the trusted metadata names it, downloaded and checked. */
export async function downloadHotfix(home: string, id: string): Promise<string> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const m = await available(l);
  if (!m.hotfixes.some((h) => h.id === id)) {
    throw new HfxError(
      'HFX_E_NOT_FOUND',
      `the server offers no hotfix ${id} for ${s.product} ${s.version} level ${s.level}`,
      { hint: 'See `hfx check`.' },
    );
  }
  return download(l, id);
}

/** `hfx update --server`: every update of the chain, downloaded and checked, in a directory for `hfx update --from`. */
export async function downloadUpdates(home: string, channel?: 'full' | 'security'): Promise<string> {
  const l = layout(resolve(home));
  const s = await readState(l);
  const m = await available(l, channel);
  const chain = chooseChain(
    m.updates.map((u) => ({
      id: u.id,
      level: u.level,
      toLevel: u.toLevel ?? u.level,
      security: u.channel === 'security',
    })),
    s.level,
    channel ?? s.channel,
  );
  const dir = join(l.downloads, 'chain');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const c of chain) symlinkSync(await download(l, c.id), join(dir, `${c.id}.zip`));
  return dir;
}
