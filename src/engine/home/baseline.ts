import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { HfxError } from '../../errors.js';
import type { NodeState } from '../archive/manifest.js';
import { fsyncPathSync } from '../fs/durable.js';
import { fileLine } from './baseline-line.js';
import type { Layout } from './layout.js';

const BASELINE_FORMAT = 'hfx-baseline/1';

/** path → what was there when the pack was adopted (or last moved to a new update level). */
export type Tree = Map<string, NodeState>;

// One JSON array per line keeps the file streamable and diffable, and much smaller than objects.
// The hash workers write the files' lines themselves, the same way (fs/hash-pool.ts, op 'lines').
export function encodeNode(path: string, n: NodeState): string {
  switch (n.type) {
    case 'file':
      return fileLine(path, n.mode, n.size, n.sha256);
    case 'dir':
      return JSON.stringify([path, 'd', n.mode]);
    case 'symlink':
      return JSON.stringify([path, 'l', n.target]);
  }
}

/** The baseline's entry lines as they are in the file (for verify, which compares them as strings). */
export function readBaselineLines(l: Layout): string[] {
  let text: string;
  try {
    text = readFileSync(l.baseline, 'utf8');
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `cannot read ${l.baseline}: ${(e as Error).message}`, {
      hint: 'Restore .hfx/ from a backup.',
    });
  }
  const lines = text.split('\n');
  try {
    const head = JSON.parse(lines[0] ?? '') as { format?: string };
    if (head.format !== BASELINE_FORMAT) throw new Error(`not ${BASELINE_FORMAT}`);
  } catch (e) {
    throw damaged(l, e);
  }
  lines.shift();
  return lines.filter((x) => x !== '');
}

function damaged(l: Layout, e: unknown): HfxError {
  return new HfxError('HFX_E_STATE', `${l.baseline} is damaged: ${(e as Error).message}`, {
    hint: 'Restore .hfx/ from a backup.',
  });
}

/** One baseline line back to its path and state. */
export function decodeNode(line: string): [string, NodeState] {
  const a = JSON.parse(line) as [string, string, string | number, number?, string?];
  const [p, t] = a;
  if (t === 'f') return [p, { type: 'file', mode: a[2] as string, size: a[3] ?? 0, sha256: a[4] ?? '' }];
  if (t === 'd') return [p, { type: 'dir', mode: a[2] as string }];
  if (t === 'l') return [p, { type: 'symlink', target: a[2] as string }];
  throw new Error(`unknown type ${t}`);
}

export function readBaseline(l: Layout): Tree {
  const lines = readBaselineLines(l);
  const tree: Tree = new Map();
  try {
    lines.forEach((line, i) => {
      try {
        const [p, n] = decodeNode(line);
        tree.set(p, n);
      } catch (e) {
        throw new Error(`line ${i + 2}: ${(e as Error).message}`);
      }
    });
  } catch (e) {
    throw damaged(l, e);
  }
  return tree;
}

/** Writes the baseline: a head line, then one line per entry made by encodeNode, in walk order. */
export function writeBaselineLinesSync(l: Layout, lines: readonly string[]): void {
  const tmp = `${l.baseline}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify({ format: BASELINE_FORMAT, entries: lines.length }) + '\n');
    for (let i = 0; i < lines.length; i += 8192) writeSync(fd, lines.slice(i, i + 8192).join('\n') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, l.baseline);
  fsyncPathSync(l.dir);
}
