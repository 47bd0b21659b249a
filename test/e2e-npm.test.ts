// hfx on real software: two published releases of an npm package are the "pack" before and after
// a fix. Needs the npm registry; when it cannot be reached the test fails and says so, because a
// skipped end-to-end test looks just like a passing one in a CI summary.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { hfx, type CliResult } from './helpers/cli.js';
import { snapshot, tmp } from './helpers/fixtures.js';

const run = promisify(execFile);
const NAME = 'semver';
const OLD = '7.5.4';
const NEW = '7.6.0';
const ID = 'HF-semver-1';

/** `npm pack NAME@VERSION` into `dir`, then `tar -xzf`; returns the unpacked package root. */
async function fetchRelease(dir: string, version: string): Promise<string> {
  const dest = join(dir, `tgz-${version}`);
  mkdirSync(dest, { recursive: true });
  try {
    await run('npm', ['pack', `${NAME}@${version}`, '--pack-destination', dest, '--loglevel=error'], {
      cwd: dir,
      timeout: 120_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = ((err.stderr ?? '') || err.message).trim();
    const how = `\`npm pack\` (is the npm registry reachable from here?)`;
    assert.fail(`cannot fetch ${NAME}@${version} with ${how}:\n${why}`);
  }
  const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  assert.equal(tgz.length, 1, `npm pack left ${JSON.stringify(tgz)} in ${dest}`);
  const out = join(dir, `unpacked-${version}`);
  mkdirSync(out);
  await run('tar', ['-xzf', join(dest, tgz[0]!), '-C', out]);
  // npm tarballs keep everything under package/.
  const root = join(out, 'package');
  assert.ok(existsSync(join(root, 'package.json')), `no package/package.json in ${tgz[0]!}`);
  return root;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r;
}

/** What the installed copy does, asked of a fresh node: its version, and a behaviour 7.6.0 changed. */
async function behaviour(pack: string): Promise<string> {
  const script = `const p = require(${JSON.stringify(join(pack, 'package.json'))}).version;
const c = require(${JSON.stringify(join(pack, 'functions/coerce.js'))})('v1.2.3-rc.1+b', { includePrerelease: true });
process.stdout.write(p + ' ' + c.version);`;
  return (await run(process.execPath, ['-e', script])).stdout;
}

test(
  `a hotfix made from ${NAME} ${OLD} → ${NEW} turns an installed ${OLD} into ${NEW} byte for byte, and revert turns it back`,
  { timeout: 300_000 },
  async (t) => {
    const dir = tmp(t, 'hfx-e2e-npm-');
    const oldDir = await fetchRelease(dir, OLD);
    const newDir = await fetchRelease(dir, NEW);
    const OLD_TREE = snapshot(oldDir);
    const NEW_TREE = snapshot(newDir);
    // The releases must really differ, and the pack must have a bin, or the test proves little.
    assert.notDeepEqual(OLD_TREE, NEW_TREE);
    assert.match(OLD_TREE['bin/semver.js'] ?? '', /^file 755 /);
    assert.ok(Object.keys(OLD_TREE).length > 40, `only ${Object.keys(OLD_TREE).length} paths`);

    const key = join(dir, 'release');
    ok(await hfx(['keygen', '--out', key]), 'hfx keygen');
    const zip = join(dir, 'hf.zip');
    const d = ok(
      await hfx([
        'diff',
        oldDir,
        newDir,
        '-o',
        zip,
        '--product',
        NAME,
        '--version',
        OLD,
        '--level',
        '0',
        '--id',
        ID,
        '--title',
        `${NAME} ${OLD} → ${NEW}`,
        '--sign',
        `${key}.key`,
        '--json',
      ]),
      'hfx diff',
    );
    const counts: { added: number; modified: number; deleted: number } = d.json;
    const changed = counts.added + counts.modified + counts.deleted;
    assert.ok(changed > 0);
    assert.ok(d.json.signed, 'the archive is not signed');

    const pack = join(dir, 'installed');
    cpSync(oldDir, pack, { recursive: true, verbatimSymlinks: true });
    assert.deepEqual(snapshot(pack), OLD_TREE);
    ok(await hfx(['init', '--home', pack, '--product', NAME, '--version', OLD, '--level', '0']), 'hfx init');
    ok(await hfx(['trust', 'add', `${key}.pub`, '--home', pack]), 'hfx trust add');
    assert.equal(await behaviour(pack), `${OLD} 1.2.3`);

    const a = ok(await hfx(['apply', zip, '--home', pack, '--json']), 'hfx apply');
    assert.equal(a.json.id, ID);
    assert.equal(a.json.changes.length, changed);
    assert.deepEqual(snapshot(pack), NEW_TREE);
    ok(await hfx(['verify', '--home', pack]), 'hfx verify after apply');
    assert.deepEqual(
      ok(await hfx(['state', '--home', pack, '--json']), 'hfx state').json.hotfixes.map((h: { id: string }) => h.id),
      [ID],
    );
    // Same bytes should mean same behaviour; checking it guards the snapshot comparison itself.
    assert.equal(await behaviour(pack), `${NEW} 1.2.3-rc.1`);

    ok(await hfx(['revert', '--home', pack, '--json']), 'hfx revert');
    assert.deepEqual(snapshot(pack), OLD_TREE);
    ok(await hfx(['verify', '--home', pack]), 'hfx verify after revert');
    assert.deepEqual(ok(await hfx(['state', '--home', pack, '--json']), 'hfx state').json.hotfixes, []);
    assert.equal(await behaviour(pack), `${OLD} 1.2.3`);
    t.diagnostic(
      `${d.json.added} added, ${d.json.modified} modified, ${d.json.deleted} deleted of ${Object.keys(OLD_TREE).length} paths`,
    );
  },
);
