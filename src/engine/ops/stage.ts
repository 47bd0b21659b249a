import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { HfxError } from '../../errors.js';
import { modeNumber, payloadName, type FileState, type NodeState } from '../archive/manifest.js';
import type { OpenArchive } from '../archive/read-archive.js';
import { fsyncPath } from '../fs/durable.js';
import { relTo, type Layout } from '../home/layout.js';
import { RECORD_FORMAT, type AppliedRecord } from '../home/record-format.js';
import type { Step } from '../home/tx.js';
import type { ApplyPlan } from './plan-apply.js';

/** What a transaction has staged so far: the staging area is the layout's `tx`. */
export interface Staging {
  readonly l: Layout;
  /** The records written for it, relative to the home: a rolled-back transaction removes them. */
  readonly records: string[];
}

/**
 * Runs `fn`, which stages a transaction and runs it, on an empty staging area. Until the journal
 * is written nothing in the pack has changed, so a failure before that removes everything staged
 * and leaves no trace; after it, the staged files belong to the journal's recovery.
 */
export async function withStaging<T>(l: Layout, fn: (s: Staging) => Promise<T>): Promise<T> {
  rmSync(l.tx, { recursive: true, force: true });
  const staging: Staging = { l, records: [] };
  try {
    return await fn(staging);
  } catch (e) {
    if (!existsSync(l.journal)) {
      rmSync(l.tx, { recursive: true, force: true });
      for (const r of staging.records) rmSync(join(l.home, r), { recursive: true, force: true });
    }
    throw e;
  }
}

/**
 * Prepares one archive's part of a transaction: new content staged (and fsync'd) under
 * `stageDir`, the record (with the steps, for revert) in .hfx/applied/<id>/, and the steps
 * returned. Nothing in the pack changes here.
 */
/** Payload files extracted (and fsync'd) before the plan was known: path → staged file. */
export type Prestaged = ReadonlyMap<string, string>;

/**
 * Extracts every payload file of `archive` into `stageDir`, as stageArchive would, without a plan:
 * apply runs this while the pack is still being observed, so that checking the originals and
 * writing the new files overlap. If the plan then refuses (conflicts), the staging area goes as
 * any failed staging does, and the pack was never touched.
 */
export async function prestagePayload(
  archive: OpenArchive,
  stageDir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<Prestaged> {
  mkdirSync(stageDir, { recursive: true });
  const items = archive.manifest.entries.map((e, i) => ({ e, i })).filter(({ e }) => payloadName(e) !== null);
  const out = new Map<string, string>();
  let done = 0;
  await forEachLimit(items, 4, async ({ e, i }) => {
    const dest = join(stageDir, `p${i}`);
    await archive.extractTo(e.path, dest, e.after as FileState);
    out.set(e.path, dest);
    onProgress?.(++done, items.length);
  });
  return out;
}

export async function stageArchive(
  staging: Staging,
  archive: OpenArchive,
  plan: ApplyPlan,
  stageDir: string,
  onProgress?: (done: number, total: number) => void,
  prestaged?: Prestaged,
): Promise<Step[]> {
  const { l } = staging;
  const m = archive.manifest;
  const recDir = l.appliedOne(m.id);
  const rel = (abs: string) => relTo(l, abs);
  staging.records.push(rel(recDir));
  rmSync(recDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  const backup = l.backup(m.id);
  mkdirSync(backup, { recursive: true });
  const steps: Step[] = [];
  const toStage: { path: string; put: NodeState; from: 'payload' | 'final'; dest: string }[] = [];
  plan.steps.forEach((p, n) => {
    const i = n + 1;
    if (p.kind === 'chmod') {
      steps.push({ kind: 'chmod', target: p.path, from: p.from, to: p.to });
      return;
    }
    let source: string | null = null;
    const ready = p.put?.type === 'file' && p.from === 'payload' ? prestaged?.get(p.path) : undefined;
    if (ready !== undefined) source = ready;
    else if (p.put !== null) {
      source = join(stageDir, String(i));
      toStage.push({ path: p.path, put: p.put, from: p.from, dest: source });
    }
    steps.push({
      kind: 'move',
      target: p.path,
      source: source && rel(source),
      save: p.takeAway ? rel(join(backup, String(i))) : null,
    });
  });
  // Several files at once: each one's reading, inflating and fsync run in the thread pool while
  // the main thread hashes and writes another, and the fsyncs overlap instead of queueing.
  // Progress counts the files staged.
  let done = 0;
  await forEachLimit(toStage, 4, async (s) => {
    await stageNode(l, archive, s.path, s.put, s.from, s.dest);
    onProgress?.(++done, toStage.length);
  });
  const record: AppliedRecord = {
    format: RECORD_FORMAT,
    manifest: archive.rawManifest,
    signatures: archive.signatures,
    untouched: plan.untouched,
    resolved: plan.resolved,
    steps,
  };
  writeFileSync(l.record(m.id), JSON.stringify(record) + '\n', { flush: true });
  // The directories' new entries, all at once (their journal commits coalesce).
  await Promise.all([stageDir, backup, recDir, l.applied].map(fsyncPath));
  return steps;
}

async function stageNode(
  l: Layout,
  archive: OpenArchive,
  path: string,
  node: NodeState,
  from: 'payload' | 'final',
  dest: string,
): Promise<void> {
  switch (node.type) {
    case 'file':
      if (from === 'final') {
        copyFileSync(l.conflict.versions(path).final, dest);
        // Opened before the mode is set, which may deny reading (0200); synced after, so the mode is durable too.
        await syncWithMode(dest, modeNumber(node.mode));
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

async function syncWithMode(path: string, mode: number): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Runs `fn` on every item, `limit` at a time. On a failure no new item starts, and it rejects only
 * once the running ones have ended: the caller's clean-up must not race a file still being written.
 */
async function forEachLimit<T extends object>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed) {
      // Items are objects: undefined is the end of the list.
      const item = items[next++];
      if (item === undefined) return;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const ends = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane));
  const first = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (first) throw first.reason;
}
