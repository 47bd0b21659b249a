import { resolve } from 'node:path';
import { exportRepository } from '../../../client/tuf-export.js';
import { HfxError } from '../../../errors.js';
import { initTuf, rotateTuf } from '../../../tuf/offline.js';
import { EVERYONE } from '../../../tuf/metadata.js';
import { defineCommandWithSubcommands, flags, int, subcommandsOf, synopsis } from '../../command.js';
import { remoteOf } from '../../server-remote.js';

const TUF_FLAGS = flags({
  out: { type: 'string' },
  dir: { type: 'string' },
  keys: { type: 'string' },
  threshold: { type: 'string' },
  'add-root-key': { type: 'string' },
  'remove-root-key': { type: 'string', multiple: true },
  'new-online-key': { type: 'boolean' },
  'new-targets-key': { type: 'boolean' },
  customer: { type: 'string' },
  everyone: { type: 'boolean' },
  server: { type: 'string' },
});
const subcommand = subcommandsOf<typeof TUF_FLAGS>();

/** --out DIR or --dir DIR, which the subcommand requires. */
function dirOf(flag: 'out' | 'dir', v: string | undefined, path: (p: string) => string): string {
  if (v === undefined)
    throw new HfxError('HFX_E_USAGE', `--${flag} DIR is required`, { hint: 'See `hfx tuf --help`.' });
  return path(v);
}

const init = subcommand({
  name: 'init',
  summary: 'make the root keys, the top-level targets key and the online key; sign 1.root.json and 1.targets.json',
  usage: '--out DIR [--keys N] [--threshold T]',
  run({ values: v }, { out, path }) {
    const keys = int(v.keys, 'keys', 1);
    const r = initTuf(dirOf('out', v.out, path), {
      keys,
      threshold: int(v.threshold, 'threshold', keys === 1 ? 1 : Math.floor(keys / 2) + 1),
    });
    out.result(r);
    out.line(
      `${out.c.green('✓')} TUF keys in ${r.dir}: ${r.root.keyids.length} root key(s), threshold ${r.root.threshold}`,
    );
    out.line(`  keep offline:        ${resolve(r.dir, 'offline')} (root and targets keys)`);
    out.line(`  give hfx serve:      --tuf-keys ${r.serverDir}`);
    out.line(`  give installations:  ${r.rootFile} (hfx login … --root)`);
    return 0;
  },
});

const rotate = subcommand({
  name: 'rotate',
  summary:
    "the next root, signed by a threshold of the old root's keys and of the new one's, and the next top-level targets",
  usage: '--dir DIR [options]',
  details:
    '--add-root-key N, --remove-root-key KEYID, --threshold T, --new-online-key (a stolen server), --new-targets-key; with none of them it only renews the expiry.',
  run({ values: v }, { out, path }) {
    const r = rotateTuf(dirOf('dir', v.dir, path), {
      ...(v['add-root-key'] !== undefined ? { addRootKeys: int(v['add-root-key'], 'add-root-key') } : {}),
      ...(v['remove-root-key'] ? { removeRootKeys: v['remove-root-key'] } : {}),
      ...(v.threshold !== undefined ? { threshold: int(v.threshold, 'threshold') } : {}),
      newOnlineKey: v['new-online-key'] === true,
      newTargetsKey: v['new-targets-key'] === true,
    });
    out.result(r);
    out.line(
      `${out.c.green('✓')} root ${r.rootVersion} (threshold ${r.root.threshold} of ${r.root.keyids.length}) and targets ${r.targetsVersion} signed`,
    );
    out.line(
      `  online key ${r.onlineKeyid.slice(0, 12)}; copy ${resolve(dirOf('dir', v.dir, path), 'server')} to every server and restart them together`,
    );
    return 0;
  },
});

const exportMirror = subcommand({
  name: 'export',
  summary: "a customer's repository, as your login may read it, as static files (a mirror)",
  args: ['DIR'],
  usage: '(--customer ID | --everyone) DIR',
  async run({ values: v, args: [dir] }, ctx) {
    const { out, path } = ctx;
    if ((v.customer !== undefined) === (v.everyone === true))
      throw new HfxError('HFX_E_USAGE', 'give --customer ID or --everyone', { hint: 'See `hfx tuf --help`.' });
    const repo = v.customer ?? EVERYONE;
    const remote = remoteOf(ctx, v);
    const r = await exportRepository(remote, repo, path(dir));
    out.result({ repo, dir: path(dir), ...r });
    out.line(
      `${out.c.green('✓')} ${repo}'s repository in ${path(dir)}: ${r.roots} root(s), ${r.targets} archive(s), ${r.bytes} bytes; its timestamp expires ${r.expires}`,
    );
    return 0;
  },
});

const SUBCOMMANDS = [init, rotate, exportMirror];

export const tufCommand = defineCommandWithSubcommands({
  name: 'tuf',
  summary:
    "The Update Framework's keys and roots (on the vendor's offline machine), and static mirrors of a customer's repository",
  usage: `hfx tuf ${synopsis(SUBCOMMANDS)}`,
  details: [
    '`init` makes the root keys (a threshold of them signs each root), the top-level targets key and the online key, ' +
      'and signs 1.root.json and 1.targets.json. Keep DIR/offline on the offline machine; give DIR/server to `hfx serve --tuf-keys`; ' +
      'give installations DIR/server/1.root.json with their tokens (`hfx login … --root`).',
    "`rotate` makes the next root, signed by a threshold of the old root's keys and of the new one's, and the next top-level targets: " +
      '--add-root-key N, --remove-root-key KEYID, --threshold T, --new-online-key (a stolen server), --new-targets-key; with none of them it only renews ' +
      'the expiry (roots and targets last a year). Copy DIR/server to every server and restart them together.',
    "`export` writes a customer's repository, as your login may read it, as static files: serve DIR with any file server, or carry it into a " +
      'site without a connection and link installations there with `hfx login file:///DIR --home … --root 1.root.json`. ' +
      "Its timestamp expires when the server's does (a day): export again to refresh.",
    'See docs/distribution.md.',
  ].join('\n\n'),
  examples: [
    '$ hfx tuf init --out /media/offline/hfx-tuf --keys 3 --threshold 2',
    '$ hfx tuf rotate --dir /media/offline/hfx-tuf --new-online-key        # the server was stolen',
    '$ hfx tuf rotate --dir /media/offline/hfx-tuf --add-root-key 1 --remove-root-key 4f2a',
    '$ hfx tuf export --customer acme /media/usb/acme-mirror',
  ],
  options: TUF_FLAGS,
  subcommands: SUBCOMMANDS,
});
