#!/usr/bin/env node
// `npm run build` runs this after tsc: the CLI as a few files instead of ~50 modules, which
// bin/hfx.js loads when it is at least as new as the TypeScript build (else the modules under
// dist/src). Node 20 has no compile cache for ES modules, and resolving, reading and linking a
// module costs about a millisecond: `hfx apply` spent ~60 ms loading its own modules before any
// work. Packages under node_modules stay outside (PGlite finds its files next to itself).
//
// Layout: dist/src/cli/hfx-bundle.js and its chunks beside main.js, so the paths the code builds
// from import.meta.url (package.json three levels up, dist/web two levels up) still hold; the hash
// and gzip workers as self-contained files in the same directory, where the pools look for them.
// rolldown is a dev dependency (the one vite uses too); without it the bundle is skipped, not the build.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli');
export const BUNDLE = join(cli, 'hfx-bundle.js');

let rolldown;
try {
  ({ rolldown } = await import('rolldown'));
} catch {
  process.stderr.write(
    'bundle-cli: rolldown is not installed (it comes with vite); the CLI runs from dist/src unbundled\n',
  );
  process.exit(0);
}

for (const f of readdirSync(cli))
  if (f.startsWith('hfx-bundle') || f === 'hash-worker.js' || f === 'gzip-worker.js') rmSync(join(cli, f));

const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
const src = (p) => join(root, 'dist', 'src', p);

// The workers: each one file, nothing shared with the main bundle.
for (const [name, file] of [
  ['hash-worker', 'engine/fs/hash-worker.js'],
  ['gzip-worker', 'image/gzip-worker.js'],
]) {
  const b = await rolldown({ input: { [name]: src(file) }, platform: 'node', external, logLevel: 'silent' });
  await b.write({ dir: cli, format: 'esm', entryFileNames: '[name].js', codeSplitting: false });
  await b.close();
}

// The CLI: the engine's front door (what every command loads), the rest of the engine, and the
// command framework are one chunk each (apply loads five files of ours instead of ~50); every
// command, the client and the server stay chunks of their own, loaded on demand.
const door = [
  'engine/index',
  'engine/ops/status',
  'engine/ops/health',
  'engine/ops/choose-chain',
  'engine/ops/keys',
  'engine/ops/conflict-area',
  'engine/home/[a-z-]+',
  'engine/archive/(limits|signature|format|paths|mode)',
  'engine/fs/durable',
];
const under = (alts) => new RegExp(`[\\\\/]dist[\\\\/]src[\\\\/](${alts.join('|')})\\.js$`);
const b = await rolldown({
  input: { 'hfx-bundle': join(cli, 'main.js') },
  platform: 'node',
  external,
  logLevel: 'silent',
});
await b.write({
  dir: cli,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: 'hfx-bundle-[name]-[hash].js',
  codeSplitting: {
    groups: [
      {
        name: 'core',
        test: under(['cli/(command|output|neutralize|prompt)', 'errors', 'names', 'version']),
        priority: 3,
      },
      { name: 'door', test: under(door), priority: 2 },
      { name: 'engine', test: under(['engine/.+']), priority: 1 },
    ],
  },
});
await b.close();
// Written last: bin/hfx.js takes the bundle only when this is newer than the TypeScript build.
writeFileSync(join(cli, 'hfx-bundle.stamp'), `${new Date().toISOString()}\n`);
