#!/usr/bin/env node
// `npm start` runs this first: when the sources (server or dashboard) are newer than the build,
// or there is no build, it runs `npm run build`, so start never serves stale code. It only reads
// modification times, so an up-to-date checkout starts at once.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

// `npm run build` ends with `--stamp`: the stamp's time is when the last whole build finished.
const STAMP = join(root, 'dist', '.build-stamp');
if (process.argv.includes('--stamp')) {
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.exit(0);
}

// tsc rewrites only what changed, so output times say nothing: the stamp does, with both outputs there.
const complete = newest(join(root, 'dist/web/index.html')) > 0 && newest(join(root, 'dist/src/cli/main.js')) > 0;
const built = complete ? newest(STAMP) : 0;
const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'web')), newest(join(root, 'package-lock.json')));
if (built === 0 || sources > built) {
  process.stderr.write(
    built === 0 ? 'hfx: no build yet, building…\n' : 'hfx: sources changed since the last build, building…\n',
  );
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
