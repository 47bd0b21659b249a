// Making a new release (I/O): read the base, check the choices, run the builds, write the manifest.
// Everything that can be refused is refused before the first build runs; a failed build writes
// nothing.

import { execFile } from 'node:child_process';
import { HfxError } from '../errors.js';
import { runBuild, type BuildResult } from './build.js';
import { buildCommands, readReleaseConfig } from './config.js';
import { checkChoices, planRelease, type ReleaseChoices, type ReleasePlan } from './plan.js';
import { parseImageRef, type ImageRef } from './reference.js';
import type { ReleaseManifest } from './schema.js';
import { readRelease, releaseExists, writeNewRelease } from './store.js';
import { nextSemverPatch } from '../version.js';

/** `git rev-parse HEAD` in `cwd`, or null when it is not a git work tree (or has no commit, or git is missing). */
export function gitHead(cwd: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolvePromise) => {
    execFile(
      'git',
      ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'],
      { cwd, env, timeout: 30_000 },
      (err, stdout) => {
        const sha = stdout.trim();
        resolvePromise(!err && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : null);
      },
    );
  });
}

/** The first patch version after `version` with no manifest in `dir`. */
function nextFreePatch(dir: string, version: string): string {
  let v = nextSemverPatch(version);
  while (releaseExists(dir, v)) v = nextSemverPatch(v);
  return v;
}

export interface CreateReleaseOptions {
  dir: string;
  base: string;
  choices: ReleaseChoices;
  /** Where build commands run. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  now?: (() => Date) | undefined;
  /** Called before each build. */
  onBuild?: ((image: string, command: string) => void) | undefined;
  /** The builds' output as it comes; without it, a failed build's output is in the error. */
  onBuildOutput?: ((chunk: Buffer) => void) | undefined;
}

export interface CreatedRelease {
  file: string;
  manifest: ReleaseManifest;
  built: { image: string; ref: string }[];
}

/** Checks everything that does not need a build: the base, the choices, the version, the build commands. */
export function prepareRelease(
  dir: string,
  baseVersion: string,
  choices: ReleaseChoices,
): { plan: ReleasePlan; commands: Record<string, string> } {
  const base = readRelease(dir, baseVersion);
  const plan = checkChoices(base, choices);
  if (releaseExists(dir, plan.version)) {
    throw new HfxError('HFX_E_RELEASE_EXISTS', `release ${plan.version} already exists in ${dir}`, {
      hint: `Give another --version (the next free patch is ${nextFreePatch(dir, plan.version)}).`,
    });
  }
  const commands = plan.build.length ? buildCommands(dir, readReleaseConfig(dir), plan.build) : {};
  return { plan, commands };
}

export async function createRelease(o: CreateReleaseOptions): Promise<CreatedRelease> {
  const { plan, commands } = prepareRelease(o.dir, o.base, o.choices);
  const built: Record<string, ImageRef> = {};
  const results: BuildResult[] = [];
  for (const image of plan.build) {
    const command = commands[image];
    const baseRef = plan.base.images[image];
    if (command === undefined || baseRef === undefined) {
      throw new HfxError('HFX_E_INTERNAL', `image ${image} was to be built but has no build command or base reference`);
    }
    o.onBuild?.(image, command);
    const r = await runBuild({
      image,
      command,
      version: plan.version,
      baseRef: parseImageRef(baseRef),
      cwd: o.cwd,
      env: o.env,
      onOutput: o.onBuildOutput,
    });
    built[image] = r.ref;
    results.push(r);
  }
  const manifest = planRelease(plan, built, (o.now ?? (() => new Date()))().toISOString());
  const file = writeNewRelease(o.dir, manifest);
  return { file, manifest, built: results.map((r) => ({ image: r.image, ref: r.ref.full })) };
}
