/**
 * The benchmark's real tree: an installed dependency tree (a `node_modules` of ~7,800 files, 91 MB)
 * made by npm from packages on the registry, twice — once with typescript 5.8.2, once with 5.8.3 —
 * so that the release between them (typescript's own files and npm's hidden lockfile) is a real
 * hotfix. Built once into <work dir>/realtree/ and reused; npm's cache is kept beside the trees, so
 * a rebuild works offline once the packages were fetched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the trees are made of. `--before` pins every transitive version to what the registry had then. */
export const REAL_TREE = {
  version: 1,
  before: '2025-06-01',
  common: ['jest@29.7.0', 'eslint@9.27.0', 'webpack@5.99.9'],
  old: 'typescript@5.8.2',
  new: 'typescript@5.8.3',
} as const;

export interface RealTree {
  dir: string;
  old: string;
  new: string;
  files: number;
  bytes: number;
}

function npmInstall(dir: string, cache: string, pkgs: string[], offline: boolean): { ok: boolean; out: string } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'hfx-bench-real-tree', version: '1.0.0', private: true }) + '\n',
  );
  const args = [
    'install',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--no-save',
    '--omit=optional',
    `--before=${REAL_TREE.before}`,
    '--cache',
    cache,
    ...(offline ? ['--offline'] : ['--prefer-offline']),
    ...pkgs,
  ];
  const r = spawnSync('npm', args, { cwd: dir, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

function count(dir: string): { files: number; bytes: number } {
  const out = spawnSync('bash', ['-c', 'find . -type f | wc -l; du -sb . | cut -f1'], { cwd: dir, encoding: 'utf8' })
    .stdout.trim()
    .split('\n');
  return { files: Number(out[0]), bytes: Number(out[1]) };
}

/**
 * The two trees, built if missing (online, or offline from npm's cache). Stops with a message
 * saying what to run when neither the registry nor the cache can give them.
 */
export function ensureRealTree(base: string, log: (s: string) => void): RealTree {
  const dir = join(base, 'realtree');
  const marker = join(dir, 'tree.json');
  const spec = JSON.stringify(REAL_TREE);
  const oldDir = join(dir, 'old');
  const newDir = join(dir, 'new');
  if (existsSync(marker)) {
    try {
      const m = JSON.parse(readFileSync(marker, 'utf8')) as { spec: string; files: number; bytes: number };
      if (m.spec === spec && existsSync(join(oldDir, 'node_modules')) && existsSync(join(newDir, 'node_modules'))) {
        log(`reusing the real tree in ${dir} (${m.files} files)`);
        return { dir, old: oldDir, new: newDir, files: m.files, bytes: m.bytes };
      }
    } catch {
      /* rebuilt below */
    }
  }
  const cache = join(dir, 'npm-cache');
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(dir, '.hfx-bench'), 'made by hfx bench/realtree.ts\n');
  for (const [target, pkg] of [
    [oldDir, REAL_TREE.old],
    [newDir, REAL_TREE.new],
  ] as const) {
    rmSync(target, { recursive: true, force: true });
    const pkgs = [...REAL_TREE.common, pkg];
    log(`real tree: npm install ${pkgs.join(' ')} (--before ${REAL_TREE.before}) into ${target} …`);
    let r = npmInstall(target, cache, pkgs, false);
    if (!r.ok) {
      log("  the registry did not answer; trying npm's cache alone (--offline) …");
      r = npmInstall(target, cache, pkgs, true);
    }
    if (!r.ok) {
      rmSync(target, { recursive: true, force: true });
      throw new Error(
        `cannot build the real tree: npm could reach neither the registry nor a cache holding ${pkgs.join(', ')}.\n` +
          `Run \`npm run bench\` once with access to https://registry.npmjs.org (it fetches about 90 MB into ${cache}, reused offline afterwards),\n` +
          `or leave out the real tree with \`--only init,verify,apply,scale,diff,state\`. npm said:\n${r.out.trim().split('\n').slice(-8).join('\n')}`,
      );
    }
  }
  const c = count(oldDir);
  writeFileSync(marker, JSON.stringify({ spec, ...c, createdAt: new Date().toISOString() }, null, 2) + '\n');
  log(`real tree ready: ${c.files} files, ${(c.bytes / 1e6).toFixed(0)} MB per version`);
  return { dir, old: oldDir, new: newDir, ...c };
}
