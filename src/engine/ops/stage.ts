import { chmodSync, copyFileSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { modeNumber, type NodeState } from '../archive/manifest.js';
import type { OpenArchive } from '../archive/read-archive.js';
import { fsyncPathSync } from '../fs/durable.js';
import type { Layout } from '../home/layout.js';
import { RECORD_FORMAT, recordFile, type AppliedRecord } from '../home/records.js';
import type { Step } from '../home/tx.js';
import { conflictPaths } from './conflict-area.js';
import type { ApplyPlan } from './plan-apply.js';

/**
 * Prepares one archive's part of a transaction: new content staged (and fsync'd) under
 * `stageDir`, the record (with the steps, for revert) in .hfx/applied/<id>/, and the steps
 * returned. Nothing in the pack changes here.
 */
export async function stageArchive(
  l: Layout,
  archive: OpenArchive,
  plan: ApplyPlan,
  stageDir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<Step[]> {
  const m = archive.manifest;
  const recDir = l.appliedOne(m.id);
  const rel = (abs: string) => abs.slice(l.home.length + 1);
  rmSync(recDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  mkdirSync(join(recDir, 'backup'), { recursive: true });
  const steps: Step[] = [];
  let i = 0;
  for (const p of plan.steps) {
    i++;
    if (p.kind === 'chmod') {
      steps.push({ kind: 'chmod', target: p.path, from: p.from, to: p.to });
      continue;
    }
    const source = p.put === null ? null : join(stageDir, String(i));
    if (source !== null) await stageNode(l, archive, p.path, p.put!, p.from, source);
    steps.push({ kind: 'move', target: p.path, source: source && rel(source), save: p.takeAway ? rel(join(recDir, 'backup', String(i))) : null });
    onProgress?.(i, plan.steps.length);
  }
  fsyncPathSync(stageDir);
  const record: AppliedRecord = { format: RECORD_FORMAT, manifest: archive.rawManifest, signatures: archive.signatures, untouched: plan.untouched, resolved: plan.resolved, steps };
  writeFileSync(recordFile(l, m.id), JSON.stringify(record) + '\n', { flush: true });
  fsyncPathSync(join(recDir, 'backup'));
  fsyncPathSync(recDir);
  fsyncPathSync(l.applied);
  return steps;
}

async function stageNode(l: Layout, archive: OpenArchive, path: string, node: NodeState, from: 'payload' | 'final', dest: string): Promise<void> {
  switch (node.type) {
    case 'file':
      if (from === 'final') {
        copyFileSync(conflictPaths(l, path).final, dest);
        chmodSync(dest, modeNumber(node.mode));
        fsyncPathSync(dest);
      } else await archive.extractTo(path, dest, node);
      return;
    case 'symlink':
      symlinkSync(node.target, dest);
      return;
    case 'dir':
      mkdirSync(dest);
      chmodSync(dest, modeNumber(node.mode));
      if (!lstatSync(dest).isDirectory()) throw new HfxError('HFX_E_INTERNAL', `cannot stage ${path}`);
  }
}
