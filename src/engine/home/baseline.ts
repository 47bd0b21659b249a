import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { HfxError } from '../../errors.js';
import type { NodeState } from '../archive/manifest.js';
import { fsyncPathSync } from '../fs/durable.js';
import type { Layout } from './layout.js';

const BASELINE_FORMAT = 'hfx-baseline/1';

/** path → what was there when the pack was adopted (or last moved to a new update level). */
export type Tree = Map<string, NodeState>;

// One JSON array per line keeps the file streamable and diffable, and much smaller than objects.
function encode(path: string, n: NodeState): string {
  switch (n.type) {
    case 'file': return JSON.stringify([path, 'f', n.mode, n.size, n.sha256]);
    case 'dir': return JSON.stringify([path, 'd', n.mode]);
    case 'symlink': return JSON.stringify([path, 'l', n.target]);
  }
}

export function writeBaselineSync(l: Layout, tree: Tree): void {
  const tmp = `${l.baseline}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    let chunk = JSON.stringify({ format: BASELINE_FORMAT, entries: tree.size }) + '\n';
    for (const [p, n] of tree) {
      chunk += encode(p, n) + '\n';
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, l.baseline);
  fsyncPathSync(l.dir);
}

/** A file's line as encode() writes it; other lines have only the first three fields. */
type FileLine = [path: string, type: 'f', mode: string, size: number, sha256: string];

export function readBaseline(l: Layout): Tree {
  let text: string;
  try {
    text = readFileSync(l.baseline, 'utf8');
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `cannot read ${l.baseline}: ${(e as Error).message}`, { hint: 'Restore .hfx/ from a backup.' });
  }
  const lines = text.split('\n');
  const tree: Tree = new Map();
  try {
    const head = JSON.parse(lines[0] ?? '') as { format?: string };
    if (head.format !== BASELINE_FORMAT) throw new Error(`not ${BASELINE_FORMAT}`);
    let n = 0;
    for (const line of lines) {
      n++;
      if (n === 1 || line === '') continue;
      const a = JSON.parse(line) as [path: string, type: string, modeOrTarget: string, ...rest: unknown[]];
      const [p, t] = a;
      if (t === 'f') {
        const f = a as FileLine;
        tree.set(p, { type: 'file', mode: f[2], size: f[3], sha256: f[4] });
      } else if (t === 'd') tree.set(p, { type: 'dir', mode: a[2] });
      else if (t === 'l') tree.set(p, { type: 'symlink', target: a[2] });
      else throw new Error(`line ${n}: unknown type ${t}`);
    }
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `${l.baseline} is damaged: ${(e as Error).message}`, { hint: 'Restore .hfx/ from a backup.' });
  }
  return tree;
}
