#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script). The bundle
// (scripts/bundle-cli.js) starts faster; it is used only while it is at least as new as the
// TypeScript build, so a `tsc` run after `npm run build` is never shadowed by an older bundle.
import { statSync } from 'node:fs';

function bundleIsFresh() {
  let stamp;
  try {
    stamp = statSync(new URL('../dist/src/cli/hfx-bundle.stamp', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
  try {
    return stamp >= statSync(new URL('../dist/.tsbuildinfo', import.meta.url)).mtimeMs;
  } catch {
    return true; // an installed package has no build info: its bundle is its build
  }
}

const { main } = await import(bundleIsFresh() ? '../dist/src/cli/hfx-bundle.js' : '../dist/src/cli/main.js');

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
