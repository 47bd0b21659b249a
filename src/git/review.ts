// `hfx review`: what a hotfix branch holds since its tag, and what looks wrong.
import { scopeMatcher } from './glob.js';
import { presentOn } from './patch-id.js';
import {
  baseTag,
  branchArg,
  commitsIn,
  mainBranch,
  openRepo,
  requireBranch,
  requireTag,
  type CommitInfo,
} from './repo.js';
import { git, splitZ } from './run.js';
import { isVersionFile, isVersionOnly } from './version-lines.js';

export interface ReviewOptions {
  repo: string;
  branch?: string;
  /** The base tag; default: recorded by `hfx start`, else `git describe`. */
  tag?: string;
  main?: string;
  /** Globs of the paths a hotfix may touch (glob.ts); none: no scope check. */
  scope?: readonly string[];
}

export interface ReviewCommit {
  sha: string;
  subject: string;
  parents: string[];
  merge: boolean;
  /** Paths it changes (a merge: against its first parent). */
  files: string[];
  /** Whether its change is on the main branch (by patch-id); null for merges and empty commits. */
  onMain: boolean | null;
  versionOnly: boolean;
}

export type WarningKind = 'scope' | 'merge' | 'not-on-main' | 'version-only';

export interface ReviewWarning {
  kind: WarningKind;
  message: string;
  commits: string[];
  file?: string;
}

export interface StatLine {
  path: string;
  /** Lines added and deleted; null for binary files. */
  added: number | null;
  deleted: number | null;
}

export interface ReviewResult {
  repo: string;
  branch: string;
  commit: string;
  tag: string;
  tagCommit: string;
  main: string;
  scope: string[];
  commits: ReviewCommit[];
  /** `git diff --numstat TAG BRANCH`: the whole change against the tag. */
  stat: StatLine[];
  totals: { files: number; insertions: number; deletions: number };
  warnings: ReviewWarning[];
}

async function filesOf(top: string, c: CommitInfo): Promise<string[]> {
  const [first] = c.parents;
  const args =
    c.parents.length > 1 && first !== undefined
      ? ['diff', '--name-only', '-z', '--no-renames', first, c.sha]
      : ['diff-tree', '--no-commit-id', '--name-only', '-z', '-r', '--no-renames', '--root', c.sha];
  return splitZ(await git(top, args));
}

export function parseNumstat(out: string): StatLine[] {
  return splitZ(out).map((rec) => {
    const [a = '-', d = '-', ...rest] = rec.split('\t');
    return { path: rest.join('\t'), added: a === '-' ? null : Number(a), deleted: d === '-' ? null : Number(d) };
  });
}

export async function reviewHotfix(opts: ReviewOptions): Promise<ReviewResult> {
  const top = await openRepo(opts.repo);
  const branch = await branchArg(top, opts.branch);
  const commit = await requireBranch(top, branch);
  const tag = await baseTag(top, branch, opts.tag);
  const tagCommit = await requireTag(top, tag);
  const main = await mainBranch(top, opts.main);
  const range = `${tagCommit}..${commit}`;

  const infos = await commitsIn(top, range);
  const commits: ReviewCommit[] = [];
  for (const c of infos) {
    const files = await filesOf(top, c);
    const merge = c.parents.length > 1;
    let versionOnly = false;
    if (!merge && files.length > 0 && files.every(isVersionFile)) {
      versionOnly = isVersionOnly(
        files,
        await git(top, [
          'show',
          '--format=',
          '-U0',
          '--no-color',
          '--no-ext-diff',
          '--no-textconv',
          '--no-renames',
          c.sha,
        ]),
      );
    }
    commits.push({ sha: c.sha, subject: c.subject, parents: c.parents, merge, files, onMain: null, versionOnly });
  }
  const mainCommit = await requireBranchOrRef(top, main);
  const present = await presentOn(
    top,
    tagCommit,
    mainCommit,
    commits.filter((c) => !c.merge),
    range,
  );
  for (const c of commits) c.onMain = c.merge ? null : (present.get(c.sha) ?? null);

  const stat = parseNumstat(await git(top, ['diff', '--numstat', '-z', '--no-renames', tagCommit, commit]));
  const totals = {
    files: stat.length,
    insertions: stat.reduce((s, x) => s + (x.added ?? 0), 0),
    deletions: stat.reduce((s, x) => s + (x.deleted ?? 0), 0),
  };
  const scope = [...(opts.scope ?? [])];
  return {
    repo: top,
    branch,
    commit,
    tag,
    tagCommit,
    main,
    scope,
    commits,
    stat,
    totals,
    warnings: reviewWarnings(commits, main, scope),
  };
}

async function requireBranchOrRef(top: string, ref: string): Promise<string> {
  return (await git(top, ['rev-parse', '--verify', `${ref}^{commit}`])).trim();
}

const short = (sha: string): string => sha.slice(0, 7);

/** The warnings, from the commits alone: pure. */
export function reviewWarnings(
  commits: readonly ReviewCommit[],
  main: string,
  scope: readonly string[],
): ReviewWarning[] {
  const w: ReviewWarning[] = [];
  for (const c of commits) {
    if (c.merge) {
      w.push({
        kind: 'merge',
        commits: [c.sha],
        message: `${short(c.sha)} "${c.subject}" is a merge commit: it brings in ${c.files.length} file(s) the hotfix may not mean to ship; a hotfix branch should hold cherry-picks`,
      });
    } else if (c.versionOnly) {
      w.push({
        kind: 'version-only',
        commits: [c.sha],
        message: `${short(c.sha)} "${c.subject}" only changes version lines (${c.files.join(', ')}): no fix in it, and a likely conflict when merged back into ${main}`,
      });
    } else if (c.onMain === false) {
      w.push({
        kind: 'not-on-main',
        commits: [c.sha],
        message: `${short(c.sha)} "${c.subject}" is not on ${main}: the fix would be lost in the next release; cherry-pick it onto ${main} (or merge the hotfix back with \`hfx finish\`)`,
      });
    }
  }
  if (scope.length > 0) {
    const inScope = scopeMatcher(scope);
    const outside = new Map<string, string[]>();
    for (const c of commits) {
      if (c.versionOnly) continue; // reported as version-only
      for (const f of c.files) if (!inScope(f)) outside.set(f, [...(outside.get(f) ?? []), c.sha]);
    }
    for (const [file, shas] of [...outside].sort(([a], [b]) => (a < b ? -1 : 1))) {
      w.push({
        kind: 'scope',
        file,
        commits: shas,
        message: `${file} is outside --scope ${scope.join(',')} (changed by ${shas.map(short).join(', ')})`,
      });
    }
  }
  return w;
}
