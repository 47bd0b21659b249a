// Which commits of a branch are on another branch, by content: `git patch-id --stable` gives a
// cherry-pick the same id as its original, whatever its sha, date or line offsets.
import { git, gitPipe } from './run.js';

const LOG_P = [
  'log',
  '-p',
  '--no-merges',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--binary',
  '--format=commit %H',
];

/** patch-id by commit, for the non-merge commits of `range` (empty commits have none). */
async function patchIds(top: string, range: string, paths?: readonly string[]): Promise<Map<string, string>> {
  const spec = paths && paths.length > 0 && paths.length <= 1000 ? ['--', ...paths.map((p) => `:(literal)${p}`)] : [];
  const out = await gitPipe(top, [...LOG_P, range, ...spec], ['patch-id', '--stable']);
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [pid, sha] = line.trim().split(/\s+/);
    if (pid && sha) m.set(sha, pid);
  }
  return m;
}

/**
 * For each commit (non-merge) of `commits`: is its change on `target` since `base`? Either the commit
 * itself is reachable from target, or a commit there has the same patch-id (a cherry-pick).
 * The search is limited to the paths the commits touch, so a change squashed into a larger commit
 * on target counts as present too.
 */
export async function presentOn(
  top: string,
  base: string,
  target: string,
  commits: readonly { sha: string; files: readonly string[] }[],
  branchRange: string,
): Promise<Map<string, boolean | null>> {
  const result = new Map<string, boolean | null>();
  if (commits.length === 0) return result;
  const reachable = new Set((await git(top, ['rev-list', `${base}..${target}`])).split('\n').filter(Boolean));
  const mine = await patchIds(top, branchRange);
  const paths = [...new Set(commits.flatMap((c) => c.files))].sort();
  const theirs = new Set((await patchIds(top, `${base}..${target}`, paths)).values());
  for (const c of commits) {
    const pid = mine.get(c.sha);
    result.set(c.sha, reachable.has(c.sha) ? true : pid === undefined ? null : theirs.has(pid));
  }
  return result;
}
