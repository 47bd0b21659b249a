// `hfx create`: build the product at the tag and at the hotfix branch, each in its own
// `git worktree` in a temp dir (the user's tree untouched), and make the archive of the difference.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { type DiffResult, diffTrees, readKey, type Severity } from '../engine/index.js';
import { NAME_RE, NAME_RULE } from '../names.js';
import { runBuild, tailOf } from './build.js';
import {
  baseTag,
  branchArg,
  commitsIn,
  openRepo,
  repositoryName,
  requireBranch,
  requireClean,
  requireTag,
  shortSha,
  upstreamOf,
} from './repo.js';
import { git, tryGit } from './run.js';
import { parseTag } from '../version.js';

export interface CreateOptions {
  repo: string;
  /** The release tag; default: recorded by `hfx start`, else `git describe`. */
  tag?: string;
  branch?: string;
  /** Run with `sh -c` at the top of each worktree. */
  build: string;
  /** The built product tree, relative to the worktree. */
  output: string;
  /** The archive to write; the build logs go next to it. */
  out: string;
  product: string;
  level: number;
  version?: string;
  id?: string;
  title?: string;
  description?: string;
  severity?: Severity;
  signKey?: string;
  createdAt?: string;
  onBuild?: (e: BuildEvent) => void;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export type Side = 'tag' | 'branch';

export interface BuildEvent {
  side: Side;
  ref: string;
  commit: string;
  log: string;
  phase: 'start' | 'done';
  ms?: number;
}

export interface CreateResult extends DiffResult {
  version: string;
  source: {
    repository: string;
    tag: string;
    tagCommit: string;
    branch: string;
    commit: string;
    commits: { sha: string; subject: string }[];
  };
  logs: Record<Side, string>;
  buildMs: Record<Side, number>;
}

function checkName(flag: string, v: string): void {
  if (!NAME_RE.test(v)) throw new HfxError('HFX_E_USAGE', `${flag} ${JSON.stringify(v)} is not valid: ${NAME_RULE}`);
}

export function checkOutputDir(rel: string): string {
  const n = normalize(rel).replace(/\/+$/, '');
  if (rel === '' || isAbsolute(rel) || n === '..' || n.startsWith('../'))
    throw new HfxError(
      'HFX_E_USAGE',
      `--output must be a directory inside the repository, not ${JSON.stringify(rel)}`,
      { hint: 'e.g. --output dist or --output target/pack' },
    );
  return n;
}

export async function createHotfix(opts: CreateOptions): Promise<CreateResult> {
  const top = await openRepo(opts.repo);
  const output = checkOutputDir(opts.output);
  const branch = await branchArg(top, opts.branch);
  const commit = await requireBranch(top, branch);
  const tag = await baseTag(top, branch, opts.tag);
  const tagCommit = await requireTag(top, tag);
  const version = opts.version ?? parseTag(tag)?.version;
  if (!version)
    throw new HfxError('HFX_E_USAGE', `cannot tell the release version from tag ${tag}`, {
      hint: 'Give it with --version V.',
    });
  // What the manifest schema would refuse after the builds, refused before them.
  checkName('--product', opts.product);
  checkName('--version', version);
  if (opts.signKey !== undefined) readKey(opts.signKey);

  await requireClean(top, 'hfx create builds only what is committed');
  const upstream = await upstreamOf(top, branch);
  if (upstream) {
    const ahead = (await git(top, ['rev-list', `${upstream}..${commit}`])).split('\n').filter(Boolean);
    if (ahead.length)
      throw new HfxError('HFX_E_GIT_STATE', `${ahead.length} commit(s) of ${branch} are not pushed to ${upstream}`, {
        hint: 'Push them first (`git push`), so the hotfix is built from what everyone can see.',
        details: { unpushed: ahead },
      });
  }
  const commits = (await commitsIn(top, `${tagCommit}..${commit}`)).map((c) => ({ sha: c.sha, subject: c.subject }));
  const newest = commits.at(-1);
  if (newest === undefined) {
    throw new HfxError('HFX_E_USAGE', `${branch} has no commits since ${tag}`, {
      hint: 'There is nothing to put in a hotfix.',
    });
  }
  const short = await shortSha(top, commit);
  const id = opts.id ?? `HF-${version}-${opts.level}-${short}`;
  checkName('--id', id);
  const source = { repository: await repositoryName(top, branch), tag, tagCommit, branch, commit, commits };

  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  const logs: Record<Side, string> = { tag: `${out}.build-tag.log`, branch: `${out}.build-branch.log` };
  const buildMs: Record<Side, number> = { tag: 0, branch: 0 };
  const tmp = mkdtempSync(join(tmpdir(), 'hfx-create-'));
  const trees: string[] = [];
  try {
    const sides: [Side, string, string][] = [
      ['tag', tag, tagCommit],
      ['branch', branch, commit],
    ];
    for (const [side, , sha] of sides) {
      const wt = join(tmp, side);
      await git(top, ['worktree', 'add', '--detach', wt, sha]);
      trees.push(wt);
    }
    for (const [side, ref, sha] of sides) {
      const wt = join(tmp, side);
      opts.onBuild?.({ side, ref, commit: sha, log: logs[side], phase: 'start' });
      const r = await runBuild({
        cmd: opts.build,
        cwd: wt,
        log: logs[side],
        env: { ...process.env, HFX_BUILD_SIDE: side, HFX_BUILD_REF: ref, HFX_BUILD_COMMIT: sha },
        header: `# hfx create: sh -c ${JSON.stringify(opts.build)}\n# ${side} ${ref} at ${sha}\n`,
      });
      buildMs[side] = r.ms;
      opts.onBuild?.({ side, ref, commit: sha, log: logs[side], phase: 'done', ms: r.ms });
      if (r.code !== 0) {
        const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${String(r.code)}`;
        throw new HfxError('HFX_E_BUILD', `the build at ${side} ${ref} ${how}; log: ${logs[side]}`, {
          hint: `See the log (last lines: ${tailOf(logs[side], 3).join(' ⏎ ') || 'none'}). The worktrees were removed.`,
          details: {
            side,
            ref,
            commit: sha,
            code: r.code,
            signal: r.signal,
            log: logs[side],
            tail: tailOf(logs[side], 20),
          },
        });
      }
      const built = join(wt, output);
      if (!isDir(built))
        throw new HfxError(
          'HFX_E_BUILD',
          `the build at ${side} ${ref} did not produce ${output}/; log: ${logs[side]}`,
          {
            hint: 'Check --output: the directory the build writes the product to, relative to the repository.',
            details: { side, log: logs[side] },
          },
        );
    }
    const r = await diffTrees({
      oldDir: join(tmp, 'tag', output),
      newDir: join(tmp, 'branch', output),
      out,
      product: opts.product,
      version,
      level: opts.level,
      id,
      title: opts.title ?? (newest.subject.slice(0, 500) || `Hotfix ${version}`),
      description:
        opts.description ??
        `Built from ${branch} (${short}) against ${tag}:\n${commits.map((c) => `- ${c.sha.slice(0, 7)} ${c.subject}`).join('\n')}`,
      severity: opts.severity ?? 'S2',
      source,
      ...(opts.signKey === undefined ? {} : { signKey: opts.signKey }),
      ...(opts.createdAt === undefined ? {} : { createdAt: opts.createdAt }),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    return { ...r, version, source, logs, buildMs };
  } finally {
    let stale = false;
    for (const wt of trees)
      stale = (await tryGit(top, ['worktree', 'remove', '--force', wt]).catch(() => null))?.code !== 0 || stale;
    rmSync(tmp, { recursive: true, force: true, maxRetries: 2 });
    if (stale) await tryGit(top, ['worktree', 'prune']).catch(() => undefined); // only when a remove failed
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
