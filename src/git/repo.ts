// Questions about a repository, each one git command (or two).
import { existsSync, statSync } from 'node:fs';
import { HfxError } from '../errors.js';
import { git, gitLine, splitZ, tryGit } from './run.js';

/** The top of the working tree that holds `dir`; HFX_E_NOT_FOUND when it is not a git working tree. */
export async function openRepo(dir: string): Promise<string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new HfxError('HFX_E_NOT_FOUND', `${dir} does not exist`, { hint: 'Give the repository with --repo DIR.' });
  const r = await tryGit(dir, ['rev-parse', '--show-toplevel']);
  const top = r.stdout.trim();
  if (r.code !== 0 || top === '')
    throw new HfxError('HFX_E_NOT_FOUND', `${dir} is not a git working tree`, {
      hint: 'Run inside a clone (not a bare repository) or give --repo DIR.',
    });
  return top;
}

/** The commit a ref names, or null. */
async function commitOf(top: string, ref: string): Promise<string | null> {
  const r = await tryGit(top, ['rev-parse', '-q', '--verify', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The commit a tag points at (annotated tags peeled), or null when there is no such tag. */
export function tagCommit(top: string, tag: string): Promise<string | null> {
  return commitOf(top, `refs/tags/${tag}`);
}

export async function requireTag(top: string, tag: string): Promise<string> {
  const c = await tagCommit(top, tag);
  if (!c)
    throw new HfxError('HFX_E_NOT_FOUND', `there is no tag ${tag}`, {
      hint: 'List tags with `git tag -l`; fetch them with `git fetch --tags`.',
    });
  return c;
}

export async function branchCommit(top: string, branch: string): Promise<string | null> {
  return commitOf(top, `refs/heads/${branch}`);
}

export async function requireBranch(top: string, branch: string): Promise<string> {
  const c = await branchCommit(top, branch);
  if (!c)
    throw new HfxError('HFX_E_NOT_FOUND', `there is no branch ${branch}`, { hint: 'List branches with `git branch`.' });
  return c;
}

/** The checked-out branch, or null on a detached HEAD. */
export async function currentBranch(top: string): Promise<string | null> {
  const r = await tryGit(top, ['symbolic-ref', '-q', '--short', 'HEAD']);
  return r.code === 0 ? r.stdout.trim() || null : null;
}

/** `--branch`, else the checked-out branch. */
export async function branchArg(top: string, branch: string | undefined): Promise<string> {
  const b = branch ?? (await currentBranch(top));
  if (!b)
    throw new HfxError('HFX_E_USAGE', 'HEAD is detached: name the hotfix branch', {
      hint: 'Give --branch hotfix/VERSION.',
    });
  return b;
}

/** Tracked files with uncommitted changes, staged or not (untracked files do not count). */
export async function dirtyFiles(top: string): Promise<string[]> {
  const out = await git(top, ['status', '--porcelain', '-z', '--untracked-files=no']);
  return splitZ(out)
    .filter((e) => /^[ MADRCUT?!]{2} /.test(e))
    .map((e) => e.slice(3));
}

export async function requireClean(top: string, what: string): Promise<void> {
  const files = await dirtyFiles(top);
  if (files.length) {
    throw new HfxError(
      'HFX_E_DIRTY',
      `${top} has uncommitted changes (${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}); ${what}`,
      {
        hint: 'Commit or stash them (`git stash`) and run the command again.',
        details: { files },
      },
    );
  }
}

export async function mergeInProgress(top: string): Promise<boolean> {
  return (await commitOf(top, 'MERGE_HEAD')) !== null;
}

/** `--main B`, else `main`, else `master`. */
export async function mainBranch(top: string, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    if (!(await commitOf(top, explicit)))
      throw new HfxError('HFX_E_NOT_FOUND', `there is no branch ${explicit}`, {
        hint: 'Give the main branch with --main B.',
      });
    return explicit;
  }
  for (const b of ['main', 'master']) if (await branchCommit(top, b)) return b;
  throw new HfxError('HFX_E_NOT_FOUND', 'there is no main or master branch', {
    hint: 'Name the main branch with --main B.',
  });
}

export async function getConfig(top: string, key: string): Promise<string | null> {
  const r = await tryGit(top, ['config', '--get', key]);
  return r.code === 0 ? r.stdout.trim() || null : null;
}

export const baseKey = (branch: string): string => `branch.${branch}.hfx-base`;

/** The tag a hotfix branch started from: recorded by `hfx start`, else the nearest tag (`git describe`). */
export async function baseTag(top: string, branch: string, explicit?: string): Promise<string> {
  const tag = explicit ?? (await getConfig(top, baseKey(branch)));
  if (tag) {
    await requireTag(top, tag);
    return tag;
  }
  const r = await tryGit(top, ['describe', '--tags', '--abbrev=0', `refs/heads/${branch}`]);
  if (r.code !== 0 || !r.stdout.trim())
    throw new HfxError('HFX_E_NOT_FOUND', `no tag found below ${branch}`, {
      hint: 'Give the release tag with --tag TAG.',
    });
  return r.stdout.trim();
}

/** The upstream of a branch (`origin/hotfix/1.7.1`), or null when it has none. */
export async function upstreamOf(top: string, branch: string): Promise<string | null> {
  const r = await tryGit(top, ['rev-parse', '-q', '--abbrev-ref', '--symbolic-full-name', `${branch}@{upstream}`]);
  return r.code === 0 ? r.stdout.trim() || null : null;
}

export async function isAncestor(top: string, a: string, b: string): Promise<boolean> {
  const r = await tryGit(top, ['merge-base', '--is-ancestor', a, b]);
  if (r.code > 1) throw new HfxError('HFX_E_GIT', `git merge-base --is-ancestor ${a} ${b} failed: ${r.stderr.trim()}`);
  return r.code === 0;
}

export interface CommitInfo {
  sha: string;
  parents: string[];
  subject: string;
}

/** Commits in `range`, oldest first. */
export async function commitsIn(top: string, range: string): Promise<CommitInfo[]> {
  const out = await git(top, ['log', '--reverse', '--format=%H%x1f%P%x1f%s%x1e', range]);
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [sha = '', parents = '', subject = ''] = r.split('\x1f');
      return { sha, parents: parents.split(' ').filter(Boolean), subject };
    });
}

export function shortSha(top: string, ref: string): Promise<string> {
  return gitLine(top, ['rev-parse', '--short', ref]);
}

/** Removes a password or token from an http(s) URL: https://user:token@host/x → https://host/x. */
export function redactUrl(url: string): string {
  return url.replace(/^(https?:\/\/)[^/@]*@/i, '$1');
}

/** Where the repository lives: the URL of the branch's remote (or origin), else its directory. */
export async function repositoryName(top: string, branch: string): Promise<string> {
  const remote = (await getConfig(top, `branch.${branch}.remote`)) ?? 'origin';
  const r = await tryGit(top, ['remote', 'get-url', remote]);
  return r.code === 0 && r.stdout.trim() ? redactUrl(r.stdout.trim()) : top;
}
