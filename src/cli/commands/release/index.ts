import { defineCommandWithSubcommands, type Command } from '../../command.js';
import { RELEASE_FLAGS, type ReleaseCommandDeps } from './common.js';
import { releaseDiff } from './diff.js';
import { releaseList } from './list.js';
import { releaseNew } from './new.js';
import { releasePublish } from './publish.js';
import { releasePush } from './push.js';
import { releaseShow } from './show.js';

export type { ReleaseCommandDeps } from './common.js';

export function makeReleaseCommand(deps: ReleaseCommandDeps = {}): Command {
  return defineCommandWithSubcommands({
    name: 'release',
    summary: 'make, list, compare and publish release manifests (releases/<version>.json), also to the server',
    usage: 'hfx release new|list|show|diff|publish|push …   [--dir releases]',
    details: `Subcommands:
  hfx release new --base V [--version V2] [--build IMG…] [--set IMG=REF…] [--set-component NAME=VER…]
                  [--notes TEXT] [--hotfix ID…] [--channel C…] [--commit SHA] [--yes]
      a draft release made from release V: the images in --build are built with their command in
      releases/hfx-release.config.json, those in --set get the references given. --version defaults
      to the next patch of V, --commit to \`git rev-parse HEAD\`, the channels to V's; the hotfix ids
      are added to V's. Repeat a flag or separate values with commas. On a terminal, what is missing
      is asked (which release, which images to build, which others to change); with --yes or --json,
      or without a terminal, nothing is asked and --base is required.
  hfx release list                 every release, oldest first
  hfx release show V               one release's manifest
  hfx release diff V1 V2           images, components, channels, hotfixes, notes and commit that differ
  hfx release publish V [--server] mark a draft published (status and published_at in its manifest);
                                   with --server, on the hfx server first (the draft stays a draft if
                                   the server refuses or cannot be reached)
  hfx release push V               send an already published release to the hfx server
Flags:
  --dir DIR       the releases directory (default: releases, in the current directory)
  --server        publish to the server you last logged in to with \`hfx login URL --user NAME\`
                  (release-manager role); the manifest's name is the server's product, which must exist
The manifest format and the build configuration: docs/releases.md.`,
    examples: [
      '$ hfx release new --base 1.7.0 --build api --set worker=registry.example.com:5000/team/worker:1.7.0-2 \\',
      '      --hotfix HF-1.7.0-0001 --notes "Fix token expiry" --yes   # makes releases/1.7.1.json (draft)',
      '$ hfx release new                  # on a terminal: asks which release, what to build and change',
      '$ hfx release list',
      '$ hfx release diff 1.7.0 1.7.1 --json',
      '$ hfx release publish 1.7.1',
      '$ hfx release publish 1.7.1 --server   # on the hfx server too, then in releases/1.7.1.json',
      '$ hfx release push 1.7.0               # a release published before, to the server',
    ],
    options: RELEASE_FLAGS,
    commonUsage: '[--dir releases]',
    subcommands: [releaseNew(deps), releaseList, releaseShow, releaseDiff, releasePublish(deps), releasePush],
  });
}

export const releaseCommand: Command = makeReleaseCommand();
