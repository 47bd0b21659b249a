// `hfx finish`: git-flow's `hotfix finish` — tag the hotfix, merge it back into the main branch
// and develop (--no-ff). Every step is skipped when already done, so after a merge conflict the
// user resolves, commits, and runs it again.
import { HfxError, isHfxError } from '../errors.js';
import { tagNameFor } from '../version.js';
import {
  baseTag,
  branchCommit,
  currentBranch,
  dirtyFiles,
  getConfig,
  isAncestor,
  mainBranch,
  mergeInProgress,
  openRepo,
  requireBranch,
  requireClean,
  tagCommit,
} from './repo.js';
import { git, gitFailure, splitZ, tryGit } from './run.js';
import { versionOfBranch } from './hotfix-branch.js';

export interface FinishOptions {
  repo: string;
  branch?: string;
  main?: string;
}

export interface FinishStep {
  step: 'tag' | 'merge';
  /** The tag name, or the branch merged into. */
  target: string;
  status: 'done' | 'already';
  /** The tagged commit, or the merge commit. */
  commit: string;
}

export interface FinishResult {
  repo: string;
  branch: string;
  version: string;
  commit: string;
  tag: string;
  steps: FinishStep[];
  /** The branch (or commit) checked out at the end, or null when hfx could not go back. */
  returnedTo: string | null;
  /** What to push next. */
  push: string[];
}

/** Set while a finish runs (its value: where to return); found again on the re-run after a conflict. */
const finishingKey = (branch: string): string => `branch.${branch}.hfx-finishing`;

async function pendingFinishes(top: string): Promise<{ branch: string; ret: string }[]> {
  const r = await tryGit(top, ['config', '--get-regexp', '^branch\\..*\\.hfx-finishing$']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const sp = l.indexOf(' ');
      return { branch: l.slice('branch.'.length, sp).replace(/\.hfx-finishing$/, ''), ret: l.slice(sp + 1) };
    });
}

async function whichBranch(top: string, explicit: string | undefined, current: string | null): Promise<string> {
  if (explicit !== undefined) return explicit;
  if (current && versionOfBranch(current)) return current;
  const pending = await pendingFinishes(top);
  const only = pending.length === 1 ? pending[0] : undefined;
  if (only) return only.branch;
  throw new HfxError(
    'HFX_E_USAGE',
    pending.length > 1
      ? `several hotfixes are being finished (${pending.map((p) => p.branch).join(', ')})`
      : `${current ?? 'HEAD'} is not a hotfix branch`,
    { hint: 'Give --branch hotfix/VERSION.' },
  );
}

export async function finishHotfix(opts: FinishOptions): Promise<FinishResult> {
  const top = await openRepo(opts.repo);
  const current = await currentBranch(top);
  const branch = await whichBranch(top, opts.branch, current);
  const version = versionOfBranch(branch);
  if (!version)
    throw new HfxError('HFX_E_USAGE', `${branch} is not a hotfix branch (hotfix/VERSION)`, {
      hint: 'Give --branch hotfix/VERSION.',
    });
  const commit = await requireBranch(top, branch);
  if (await mergeInProgress(top)) {
    const files = splitZ(await git(top, ['diff', '--name-only', '-z', '--diff-filter=U']));
    throw new HfxError(
      'HFX_E_MERGE_CONFLICT',
      `a merge is in progress on ${current ?? 'HEAD'}${files.length ? ` with conflicts in ${files.join(', ')}` : ''}`,
      {
        hint: 'Resolve the conflicts, `git add` the files and `git commit`; then run `hfx finish` again (or `git merge --abort` to give up).',
        details: { files },
      },
    );
  }
  await requireClean(top, 'hfx finish checks out and merges branches');
  const main = await mainBranch(top, opts.main);
  if (!(await branchCommit(top, main)))
    throw new HfxError('HFX_E_USAGE', `--main must be a local branch to merge into, not ${main}`);
  const targets = [main, ...((await branchCommit(top, 'develop')) && main !== 'develop' ? ['develop'] : [])];
  let base: string;
  try {
    base = await baseTag(top, branch);
  } catch (e) {
    throw new HfxError('HFX_E_NOT_FOUND', `cannot tell which tag ${branch} started from`, {
      hint: `Record it: git config branch.${branch}.hfx-base TAG`,
      cause: e,
    });
  }
  const baseCommit = await tagCommit(top, base);
  if (baseCommit === commit)
    throw new HfxError('HFX_E_USAGE', `${branch} has no commits since ${base}: there is nothing to finish`, {
      hint: 'Cherry-pick the fixes onto it first.',
    });
  const tag = tagNameFor(base, version);
  const tagged = await tagCommit(top, tag);
  if (tagged && tagged !== commit) {
    throw new HfxError(
      'HFX_E_GIT_STATE',
      `tag ${tag} already exists on ${tagged.slice(0, 7)}, not on ${branch} (${commit.slice(0, 7)})`,
      {
        hint: `${branch} changed after it was tagged: delete the tag if it was never pushed (\`git tag -d ${tag}\`), or start a new hotfix.`,
      },
    );
  }

  const steps: FinishStep[] = [];
  if (tagged) steps.push({ step: 'tag', target: tag, status: 'already', commit });
  else {
    await git(top, ['tag', '-a', tag, '-m', `Hotfix ${version}`, commit]);
    steps.push({ step: 'tag', target: tag, status: 'done', commit });
  }

  const todo: string[] = [];
  for (const t of targets) {
    if (await isAncestor(top, commit, `refs/heads/${t}`)) {
      steps.push({ step: 'merge', target: t, status: 'already', commit: await requireBranch(top, t) });
    } else todo.push(t);
  }
  let returnedTo: string | null = current ?? (await git(top, ['rev-parse', 'HEAD'])).trim();
  const key = finishingKey(branch);
  const recorded = await getConfig(top, key);
  if (todo.length > 0 || recorded) {
    // Where to return: recorded by the run that stopped on a conflict, else where we are now.
    const ret = recorded ?? returnedTo;
    if (!recorded) await git(top, ['config', key, ret]);
    let merged = 0;
    try {
      for (const t of todo) {
        if ((await currentBranch(top)) !== t) await git(top, ['checkout', '-q', t]);
        const r = await tryGit(top, ['merge', '--no-ff', '--no-edit', branch]);
        if (r.code !== 0 && (await mergeInProgress(top))) {
          const files = splitZ(await git(top, ['diff', '--name-only', '-z', '--diff-filter=U']));
          throw new HfxError(
            'HFX_E_MERGE_CONFLICT',
            `merging ${branch} into ${t} stopped on conflicts in ${files.join(', ') || 'some files'}`,
            {
              hint: `You are on ${t}, in the middle of the merge. Resolve the conflicts, \`git add\` the files and \`git commit\`; then run \`hfx finish\` again to continue (or \`git merge --abort\` to give up).`,
              details: { into: t, files, steps },
            },
          );
        }
        if (r.code !== 0) throw gitFailure(['merge', '--no-ff', '--no-edit', branch], r);
        merged++;
        steps.push({ step: 'merge', target: t, status: 'done', commit: await requireBranch(top, t) });
      }
    } catch (e) {
      if (isHfxError(e, 'HFX_E_MERGE_CONFLICT')) throw e;
      // Anything else (a checkout refused by untracked files, a hook): back to where the user was,
      // and undo what this run did if it merged nothing, so a failure leaves the repository as it was.
      await goBack(top, ret);
      if (!recorded) await tryGit(top, ['config', '--unset', key]);
      const undone = merged === 0 && steps[0]?.status === 'done';
      if (undone) await tryGit(top, ['tag', '-d', tag]);
      const err =
        e instanceof HfxError
          ? e
          : new HfxError('HFX_E_GIT', String((e as Error | null | undefined)?.message ?? e), { cause: e });
      throw new HfxError(err.code, err.message, {
        hint:
          merged === 0
            ? 'Nothing was changed. Fix the cause and run `hfx finish` again.'
            : `Done so far: ${steps
                .filter((x) => x.status === 'done')
                .map((x) => `${x.step} ${x.target}`)
                .join(', ')}. Fix the cause and run \`hfx finish\` again to continue.`,
        details: { steps, cause: err.details },
        cause: e,
      });
    }
    returnedTo = await goBack(top, ret);
    await tryGit(top, ['config', '--unset', key]);
  }
  const remote =
    (await getConfig(top, `branch.${main}.remote`)) ??
    ((await tryGit(top, ['remote', 'get-url', 'origin'])).code === 0 ? 'origin' : null);
  return {
    repo: top,
    branch,
    version,
    commit,
    tag,
    steps,
    returnedTo,
    push: remote ? [`git push ${remote} ${targets.join(' ')} ${tag}`] : [],
  };
}

/** Checks out `ret` (a branch, else a commit) when possible; returns what is checked out after, or null. */
async function goBack(top: string, ret: string): Promise<string | null> {
  if ((await dirtyFiles(top)).length || (await mergeInProgress(top))) return null;
  const isBranch = (await branchCommit(top, ret)) !== null;
  if (isBranch && (await currentBranch(top)) === ret) return ret;
  const r = await tryGit(top, isBranch ? ['checkout', '-q', ret] : ['checkout', '-q', '--detach', ret]);
  return r.code === 0 ? ret : null;
}
