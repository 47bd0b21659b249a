import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  symlinkSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { addTrust, type DiffOptions, diffTrees, initHome, keygen, layout } from '../../src/engine/index.js';

/** A temp dir removed when the test ends. */
export function tmp(t: TestContext | { after(fn: () => void): void }, prefix = 'hfx-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Files by path: content, content with a mode, a symbolic link to a target, or a directory with a mode. */
export type Spec = Record<
  string,
  string | Buffer | { content: string | Buffer; mode: number } | { symlink: string } | { dir: number }
>;

/** Writes files (and links, and dirs with modes) under `root`. */
export function writeTree(root: string, spec: Spec): void {
  mkdirSync(root, { recursive: true });
  for (const [p, v] of Object.entries(spec)) {
    const abs = join(root, p);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof v === 'string' || Buffer.isBuffer(v)) writeFileSync(abs, v, { mode: 0o644 });
    else if ('symlink' in v) {
      rmSync(abs, { force: true });
      symlinkSync(v.symlink, abs);
    } else if ('dir' in v) {
      mkdirSync(abs, { recursive: true });
      chmodSync(abs, v.dir);
    } else {
      writeFileSync(abs, v.content);
      chmodSync(abs, v.mode);
    }
  }
}

/** A sample pack of product files. */
export const BASE: Spec = {
  'bin/server.sh': { content: '#!/bin/sh\necho start\n', mode: 0o755 },
  'lib/core.jar': 'core 1.0\n'.repeat(100),
  'lib/util.jar': 'util 1.0\n'.repeat(50),
  'lib/old.jar': 'old library\n',
  'conf/server.toml': '[server]\nport = 9443\n',
  'docs/README': 'read me\n',
  'docs/current': { symlink: 'README' },
};

/** Every path in a tree with its type, mode and content hash (or link target): equal snapshots mean byte-identical trees. */
export function snapshot(root: string, opts: { includeState?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string): void => {
    for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (!rel && name === '.hfx' && !opts.includeState) continue;
      const abs = join(root, p);
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[p] = `dir ${mode}`;
        visit(p);
      } else out[p] = `file ${mode} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`;
    }
  };
  visit('');
  return out;
}

export interface World {
  dir: string;
  home: string;
  key: string;
  pub: string;
  /** Makes a signed hotfix archive: copies the pack, lets `change` edit the copy, diffs. */
  hotfix(
    id: string,
    change: (newDir: string) => void,
    extra?: Partial<DiffOptions> & { from?: string },
  ): Promise<string>;
}

/** A pack adopted as an installation, a trusted key, and a way to make hotfixes for it. */
export async function world(
  t: TestContext | { after(fn: () => void): void },
  spec: Spec = BASE,
  opts: { trust?: boolean } = {},
): Promise<World> {
  const dir = tmp(t);
  const home = join(dir, 'pack');
  writeTree(home, spec);
  const pristine = join(dir, 'pristine');
  cpSync(home, pristine, { recursive: true, verbatimSymlinks: true });
  const k = keygen(join(dir, 'vendor'));
  await initHome({ home, product: 'demo', version: '1.0.0', level: 0 });
  if (opts.trust ?? true) addTrust(layout(home), k.publicKey);
  let n = 0;
  return {
    dir,
    home,
    key: k.privateKey,
    pub: k.publicKey,
    async hotfix(id, change, extra = {}) {
      const from = extra.from ?? pristine;
      const newDir = join(dir, `new-${++n}`);
      cpSync(from, newDir, { recursive: true, verbatimSymlinks: true });
      change(newDir);
      const out = join(dir, `${id}.zip`);
      const { from: _f, ...rest } = extra;
      await diffTrees({
        oldDir: from,
        newDir,
        out,
        product: 'demo',
        version: '1.0.0',
        level: 0,
        id,
        title: `hotfix ${id}`,
        signKey: k.privateKey,
        createdAt: '2026-01-01T00:00:00.000Z',
        ...rest,
      });
      return out;
    },
  };
}
