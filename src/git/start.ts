// `hfx start`: git-flow's `hotfix start` — a hotfix/VERSION branch from a release tag.
import { HfxError } from '../errors.js';
import { isVersionName, nextTagPatch, tagNameFor, withoutLeadingV } from '../version.js';
import { baseKey, branchCommit, currentBranch, openRepo, requireClean, requireTag, tagCommit } from './repo.js';
import { git, tryGit } from './run.js';
import { hotfixBranch } from './hotfix-branch.js';

export interface StartOptions {
  repo: string;
  /** The release tag to branch from. */
  from: string;
  /** Defaults to the next patch of the tag. */
  version?: string;
}

export interface StartResult {
  repo: string;
  branch: string;
  version: string;
  tag: string;
  tagCommit: string;
  /** The tag `hfx finish` will create. */
  releaseTag: string;
  /** The branch checked out before. */
  previous: string | null;
}

export async function startHotfix(opts: StartOptions): Promise<StartResult> {
  const top = await openRepo(opts.repo);
  const tag = opts.from;
  const commit = await requireTag(top, tag);
  const version = opts.version === undefined ? nextTagPatch(tag) : withoutLeadingV(opts.version);
  if (version === null)
    throw new HfxError('HFX_E_USAGE', `cannot tell the next version after ${tag}`, {
      hint: `Give it: hfx start VERSION --from ${tag}`,
    });
  if (!isVersionName(version))
    throw new HfxError('HFX_E_USAGE', `${JSON.stringify(version)} is not a version: use letters, digits and . _ + -`);
  const branch = hotfixBranch(version);
  if ((await tryGit(top, ['check-ref-format', '--branch', branch])).code !== 0)
    throw new HfxError('HFX_E_USAGE', `${branch} is not a valid branch name`);

  await requireClean(top, 'a hotfix branch starts from a clean tree');
  if (await branchCommit(top, branch)) {
    throw new HfxError('HFX_E_GIT_STATE', `branch ${branch} already exists`, {
      hint: `Switch to it (\`git checkout ${branch}\`), or delete it first, or give another VERSION.`,
    });
  }
  const remote = (await git(top, ['for-each-ref', '--format=%(refname:short)', `refs/remotes/*/${branch}`])).trim();
  if (remote)
    throw new HfxError('HFX_E_GIT_STATE', `branch ${remote} already exists on a remote: someone started this hotfix`, {
      hint: `Work on theirs: \`git checkout ${branch}\`, or give another VERSION.`,
    });
  const releaseTag = tagNameFor(tag, version);
  if (await tagCommit(top, releaseTag))
    throw new HfxError('HFX_E_GIT_STATE', `tag ${releaseTag} already exists: version ${version} was released`, {
      hint: `Give the next free version: hfx start VERSION --from ${tag}`,
    });

  const previous = await currentBranch(top);
  await git(top, ['branch', '--no-track', branch, commit]);
  try {
    await git(top, ['config', baseKey(branch), tag]);
    await git(top, ['checkout', '-q', branch]);
  } catch (e) {
    await tryGit(top, ['branch', '-D', branch]); // also drops its config section
    throw e;
  }
  return { repo: top, branch, version, tag, tagCommit: commit, releaseTag, previous };
}
