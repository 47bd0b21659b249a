import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { modeString, type NodeState } from '../archive/manifest.js';
import { parentOf } from '../archive/paths.js';
import { hashFileSync } from '../fs/hash-core.js';
import type { Step } from '../home/tx.js';
import { observe, type Observed } from './observe.js';

function nodeAt(abs: string): NodeState | null {
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(abs) };
  if (st.isDirectory()) return { type: 'dir', mode: modeString(st.mode) };
  return { type: 'file', ...hashFileSync(abs) };
}

/**
 * What the pack will look like once some steps have run, for the paths they touch: a chain of
 * updates is one transaction, so each update is planned against the tree the steps before it
 * leave, not against the disk.
 */
export class Overlay {
  /** path → what it will hold (null: nothing); paths not here are as on disk. */
  readonly #nodes = new Map<string, NodeState | null>();

  constructor(readonly home: string) {}

  /** Lays `steps` over the tree; what they move into place is read from where it is staged now. */
  run(steps: readonly Step[]): void {
    for (const s of steps) {
      if (s.kind === 'move') this.#nodes.set(s.target, s.source === null ? null : nodeAt(join(this.home, s.source)));
      else {
        const cur = this.#nodes.has(s.target) ? (this.#nodes.get(s.target) ?? null) : nodeAt(join(this.home, s.target));
        if (cur && cur.type !== 'symlink') this.#nodes.set(s.target, { ...cur, mode: s.to });
      }
    }
  }

  /** Says what `path` will hold, for a dry run, which stages nothing to read it from. */
  set(path: string, node: NodeState | null): void {
    this.#nodes.set(path, node);
  }

  /** What `observe` would see at `paths` once the steps laid over the tree have run. */
  async observe(paths: readonly string[]): Promise<Map<string, Observed>> {
    const over = this.#nodes;
    const home = this.home;
    const disk = await observe(
      home,
      paths.filter((p) => !over.has(p) || over.get(p)?.type === 'dir'),
    );
    const isDirOnDisk = (p: string): boolean => {
      try {
        return statSync(join(home, p)).isDirectory() && !lstatSync(join(home, p)).isSymbolicLink();
      } catch {
        return false;
      }
    };
    const isDir = (p: string): boolean =>
      p === '' ? true : over.has(p) ? over.get(p)?.type === 'dir' : isDirOnDisk(p);
    const out = new Map<string, Observed>();
    for (const p of paths) {
      let node: NodeState | null;
      if (over.has(p)) node = over.get(p) ?? null;
      else {
        const seen = disk.get(p);
        if (!seen) throw new HfxError('HFX_E_INTERNAL', `${p} was not observed`);
        node = seen.node;
      }
      const o: Observed = { node, parentIsDir: isDir(parentOf(p)) };
      if (node?.type === 'dir') {
        const abs = join(home, p);
        const kids = new Set(existsSync(abs) && lstatSync(abs).isDirectory() ? readdirSync(abs) : []);
        for (const [q, n] of over) {
          if (parentOf(q) !== p) continue;
          const name = q.slice(p.length + 1);
          if (n === null) kids.delete(name);
          else kids.add(name);
        }
        o.children = [...kids];
      }
      out.set(p, o);
    }
    return out;
  }
}
