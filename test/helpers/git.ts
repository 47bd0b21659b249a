// Shared fixtures of the git-* suites (this file holds no tests of its own): real repositories in
// temp dirs with a bare repository as `origin`, and a way to run one command as `hfx` would.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from '../../src/cli/command.js';
import { runCommand, type CliResult } from './cli.js';
import { snapshot, tmp } from './fixtures.js';

// The machine's git configuration must not leak into the tests (hooks, signing, default branch).
process.env.GIT_CONFIG_NOSYSTEM = '1';
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
delete process.env.GIT_DIR;
delete process.env.GIT_WORK_TREE;

interface T {
  after(fn: () => void): void;
}

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Repo {
  root: string;
  dir: string;
  remote: string;
  git(...args: string[]): string;
  /** Writes files (relative to the working tree). */
  write(files: Record<string, string>): void;
  read(file: string): string;
  /** Writes files, stages everything, commits; returns the new sha. */
  commit(message: string, files?: Record<string, string>): string;
  sha(ref: string): string;
  /** Refs, HEAD, index/working-tree status, worktrees, local config, stash, merge state and every file outside .git. */
  state(): string;
}

export const FILES: Record<string, string> = {
  'src/app.txt': 'app 1.7.0\n',
  'src/auth/token.txt': 'line 1\nline 2\nline 3\nexpiry = 0\n',
  'src/old.txt': 'old\n',
  'docs/README.md': '# app\n',
  'package.json': '{\n  "name": "app",\n  "version": "1.7.0",\n  "private": true\n}\n',
};

/**
 * A repository `work` (branch main, tag `tag`, pushed to a bare `origin`), and on main after the tag:
 * a feature commit that moves the lines of src/auth/token.txt, then a fix of its last line.
 */
const templates = new Map<string, { root: string; fix: string; feature: string }>();

/** Builds a scenario once per process; each test gets a copy (far fewer processes than building it again). */
function template(opts: { tag?: string; develop?: boolean }): { root: string; fix: string; feature: string } {
  const key = JSON.stringify(opts);
  const hit = templates.get(key);
  if (hit) return hit;
  const root = mkdtempSync(join(tmpdir(), 'hfx-git-template-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  const remote = join(root, 'origin.git');
  const dir = join(root, 'work');
  gitIn(root, 'init', '-q', '--bare', '-b', 'main', remote);
  gitIn(root, 'init', '-q', '-b', 'main', dir);
  appendFileSync(
    join(dir, '.git/config'),
    `[user]\n\tname = Rel Eng\n\temail = releng@example.com\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n[remote "origin"]\n\turl = ${remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
  );
  const r = repoAt(root);
  const tag = opts.tag ?? 'v1.7.0';
  r.commit('Release 1.7.0', FILES);
  r.git('tag', '-a', tag, '-m', `Release ${tag}`);
  if (opts.develop) r.git('branch', 'develop');
  const feature = r.commit('Add session feature', {
    'src/auth/token.txt': 'feature a\nfeature b\nline 1\nline 2\nline 3\nexpiry = 0\n',
    'src/feature.txt': 'feature\n',
  });
  const fix = r.commit('Fix token expiry', {
    'src/auth/token.txt': 'feature a\nfeature b\nline 1\nline 2\nline 3\nexpiry = 3600\n',
  });
  r.git('push', '-q', 'origin', 'main', ...(opts.develop ? ['develop'] : []), '--tags');
  const made = { root, fix, feature };
  templates.set(key, made);
  return made;
}

/**
 * A repository `work` (branch main, tag `tag` — v1.7.0 by default —, pushed to a bare `origin`), and
 * on main after the tag: a feature commit that moves the lines of src/auth/token.txt, then a fix of
 * its last line (`fix`). With `develop`, a develop branch at the tag.
 */
export function makeRepo(
  t: T,
  opts: { tag?: string; develop?: boolean } = {},
): Repo & { fix: string; feature: string } {
  const tpl = template(opts);
  const root = tmp(t, 'hfx-git-');
  cpSync(tpl.root, root, { recursive: true, verbatimSymlinks: true });
  const config = join(root, 'work/.git/config');
  writeFileSync(config, readFileSync(config, 'utf8').split(tpl.root).join(root));
  return { ...repoAt(root), fix: tpl.fix, feature: tpl.feature };
}

function repoAt(root: string): Repo {
  const remote = join(root, 'origin.git');
  const dir = join(root, 'work');
  const git = (...args: string[]): string => gitIn(dir, ...args);
  const write = (files: Record<string, string>): void => {
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
  };
  const commit = (message: string, files: Record<string, string> = {}): string => {
    write(files);
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD').trim();
  };
  const sha = (ref: string): string => git('rev-parse', `${ref}^{commit}`).trim();
  const state = (): string => {
    const inGit = (path: string) => path === '.git' || path.startsWith('.git/');
    const files = Object.fromEntries(Object.entries(snapshot(dir)).filter(([k]) => !inGit(k)));
    // One shell, many gits: far cheaper than a process per question.
    const script = [
      'git for-each-ref --format="%(refname) %(objectname)"',
      'git symbolic-ref -q HEAD || git rev-parse HEAD',
      'git status --porcelain=v1 --untracked-files=all --ignored',
      'git worktree list --porcelain',
      'git config --local --list',
      'git stash list',
      'test -e .git/MERGE_HEAD && echo merging || echo not merging',
    ].join('; echo ---; ');
    return execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' }) + JSON.stringify(files);
  };
  return { root, dir, remote, git, write, read: (f) => readFileSync(join(dir, f), 'utf8'), commit, sha, state };
}

export type RunResult = CliResult;

/** Runs one command as `hfx NAME ARGS…` would. */
export function run(cmd: Command, argv: string[], opts: { cwd: string; tty?: boolean }): Promise<RunResult> {
  return runCommand(cmd, argv, opts);
}
