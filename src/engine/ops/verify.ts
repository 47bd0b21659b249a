import { sameNode, type NodeState } from '../archive/manifest.js';
import { decodeNode, readBaselineLines, type Tree } from '../home/baseline.js';
import { layRecords, recordPaths } from '../home/records.js';
import { readJournal } from '../home/tx.js';
import { readConflict } from './conflict-area.js';
import { scanLines } from './scan.js';
import { withSession, type HomeOptions } from './session.js';

export interface Drift {
  path: string;
  expected: NodeState | null;
  found: NodeState | null;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  modified: Drift[];
  missing: Drift[];
  unexpected: Drift[];
  pending: string | null;
}

/**
 * Compares every path in the pack with the baseline plus the applied hotfixes. Read-only.
 *
 * The pack is scanned into baseline lines (the workers make the files' lines) and compared with
 * the baseline's own lines as strings: on a 200,000-file pack, parsing both into objects cost the
 * main thread more than a quarter second. Only the lines that differ, and the paths that applied
 * updates and hotfixes touch, are decoded; the drift comes out as before, in the same order.
 */
export async function verifyHome(
  opts: HomeOptions & { onProgress?: (done: number, total: number) => void },
): Promise<VerifyResult> {
  return withSession({ home: opts.home, command: 'verify', readOnly: true }, async ({ l, state }) => {
    // The baseline and the records are read while the workers hash.
    const { scan, extra } = await scanLines(l.home, opts.onProgress, () => ({
      baseline: readBaselineLines(l),
      touched: recordPaths(l, state),
    }));
    const { baseline, touched } = extra;
    // Every line of a path starts with the path as a JSON string: `["lib/a.jar",`.
    const touchedKeys = new Set([...touched].map((p) => JSON.stringify([p]).slice(0, -1) + ','));
    const isTouched = (line: string) => touchedKeys.size > 0 && touchedKeys.has(lineKey(line));
    const lines = scan.lines;
    // Both are in walk order, so an unchanged pack matches line for line; what does not is matched
    // by content next (an entry added or removed shifts the rest). A line found as the baseline
    // has it is settled, unless a record touches its path: records decide there, below.
    const foundAt: number[] = []; // scan lines to decode: not in the baseline, or touched
    const shiftedScan: number[] = [];
    const left = new Map<string, number>(); // baseline lines not found as they are → their index
    for (let i = 0; i < Math.max(lines.length, baseline.length); i++) {
      const a = lines[i];
      const b = baseline[i];
      if (a !== undefined && a === b) {
        if (isTouched(a)) {
          foundAt.push(i);
          left.set(b, i);
        }
        continue;
      }
      if (a !== undefined) shiftedScan.push(i);
      if (b !== undefined) left.set(b, i);
    }
    for (const i of shiftedScan) {
      const line = lines[i] ?? '';
      if (!left.has(line)) foundAt.push(i);
      else if (isTouched(line)) foundAt.push(i);
      else left.delete(line);
    }
    // What was found where the baseline does not say it, or records decide: path → state, in walk order.
    const found: Tree = new Map();
    for (const i of foundAt.sort((x, y) => x - y)) {
      const [p, n] = decodeFound(lines[i] ?? '');
      found.set(p, n);
    }
    // The expected tree over those paths only: the baseline's lines that were not found as they are
    // (in the baseline's order), with the records laid over them as expectedTree does. Its order is
    // expectedTree's, restricted to these paths.
    const expected: Tree = new Map();
    for (const i of [...left.values()].sort((x, y) => x - y)) {
      const [p, n] = decodeNode(baseline[i] ?? '');
      expected.set(p, n);
    }
    layRecords(l, state, expected);
    const modified: Drift[] = [];
    const missing: Drift[] = [];
    const unexpected: Drift[] = [];
    for (const [p, want] of expected) {
      const got = found.get(p) ?? null;
      if (got === null) missing.push({ path: p, expected: want, found: null });
      else if (!sameNode(got, want)) modified.push({ path: p, expected: want, found: got });
    }
    for (const [p, got] of found) if (!expected.has(p)) unexpected.push({ path: p, expected: null, found: got });
    const j = readJournal(l);
    const c = readConflict(l);
    return {
      ok: modified.length + missing.length + unexpected.length === 0,
      checked: scan.lines.length,
      modified,
      missing,
      unexpected,
      pending: j ? `interrupted ${j.operation} of ${j.subject}` : c ? `conflict in the apply of ${c.id}` : null,
    };
  });
}

/** `["path",` of a baseline line: up to the first `",` whose quote is not escaped. */
function lineKey(line: string): string {
  for (let i = line.indexOf('",', 2); i > 0; i = line.indexOf('",', i + 1)) {
    let slashes = 0;
    while (line[i - 1 - slashes] === '\\') slashes++;
    if (slashes % 2 === 0) return line.slice(0, i + 2);
  }
  return line;
}

/** A found file's state with its fields in the order hashing gives them (size, mode, sha256), as verify always reported it. */
function decodeFound(line: string): [string, NodeState] {
  const [p, n] = decodeNode(line);
  return [p, n.type === 'file' ? { type: 'file', size: n.size, mode: n.mode, sha256: n.sha256 } : n];
}
