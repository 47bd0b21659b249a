import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCommands } from '../src/cli/main.js';
import { hfx } from './helpers/cli.js';
import { snapshot, tmp, world } from './helpers/fixtures.js';

test('every command has --help with a usage line and an example', async () => {
  const COMMANDS = await loadCommands();
  for (const c of COMMANDS) {
    for (const name of [c.name, ...(c.aliases ?? [])]) {
      const r = await hfx([name, '--help']);
      assert.equal(r.code, 0, name);
      assert.match(r.stdout, /Usage: hfx /, name);
      assert.match(r.stdout, /Examples:\n {2}\$ hfx /, name);
    }
  }
  const top = await hfx(['--help']);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`\\b${c.name}\\b`));
});

test('every subcommand has its own --help with a usage line and an example', async () => {
  for (const c of await loadCommands()) {
    for (const s of c.subcommands ?? []) {
      const r = await hfx([c.name, s.name, '--help']);
      assert.equal(r.code, 0, `${c.name} ${s.name}`);
      assert.match(r.stdout, new RegExp(`^hfx ${c.name} ${s.name} — `), `${c.name} ${s.name}`);
      assert.match(r.stdout, new RegExp(`Usage: hfx ${c.name} ${s.name}\\b`), `${c.name} ${s.name}`);
      assert.match(r.stdout, new RegExp(`Examples:\\n {2}\\$ hfx ${c.name} ${s.name}\\b`), `${c.name} ${s.name}`);
    }
  }
});

test('usage errors exit 2 with a stable code, in text and JSON', async () => {
  const r = await hfx(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /HFX_E_USAGE/);
  const j = await hfx(['apply', '--bogus', '--json']);
  assert.equal(j.code, 2);
  assert.equal(j.json.ok, false);
  assert.equal(j.json.error.code, 'HFX_E_USAGE');
  assert.equal(j.stderr, '');
});

test('a directory that is not an installation exits 8 with a hint', async (t) => {
  const d = tmp(t);
  const r = await hfx(['state', '--home', d]);
  assert.equal(r.code, 8);
  assert.match(r.stderr, /HFX_E_NOT_INITIALISED/);
  assert.match(r.stderr, /hfx init/);
});

test('HFX_HOME and the cwd are the defaults for --home', async (t) => {
  const w = await world(t);
  const viaEnv = await hfx(['state', '--json'], { env: { HFX_HOME: w.home } });
  assert.equal(viaEnv.json.product, 'demo');
  const viaCwd = await hfx(['current-state', '--json'], { cwd: w.home, env: {} });
  assert.equal(viaCwd.json.version, '1.0.0');
  assert.deepEqual(viaCwd.json.hotfixes, []);
  assert.equal(viaCwd.json.pending, null);
});

test('exit codes: conflict 3, signature 4, incompatible 5, drift 7 — and --json prints only JSON', async (t) => {
  const w = await world(t);
  const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'));
  const other = await w.hotfix('HF-2', (d) => writeFileSync(join(d, 'lib/util.jar'), 'x\n'), { level: 9 });
  const unsigned = await w.hotfix('HF-3', (d) => writeFileSync(join(d, 'lib/util.jar'), 'y\n'), { signKey: undefined });
  assert.equal((await hfx(['apply', other, '--home', w.home])).code, 5);
  const u = await hfx(['apply', unsigned, '--home', w.home, '--json']);
  assert.equal(u.code, 4);
  assert.equal(u.json.error.code, 'HFX_E_UNSIGNED');
  writeFileSync(join(w.home, 'lib/core.jar'), 'local edit\n');
  const v = await hfx(['verify', '--home', w.home, '--json']);
  assert.equal(v.code, 7);
  assert.equal(v.json.error.details.modified[0].path, 'lib/core.jar');
  const c = await hfx(['apply', zip, '--home', w.home, '--json']);
  assert.equal(c.code, 3);
  assert.equal(c.json.error.code, 'HFX_E_CONFLICT');
  const a = await hfx(['apply', '--abort', '--home', w.home, '--json']);
  assert.equal(a.json.aborted, 'HF-1');
});

test('keygen writes a 0600 private key and refuses to overwrite it', async (t) => {
  const d = tmp(t);
  const r = await hfx(['keygen', '--out', 'k', '--json'], { cwd: d });
  assert.equal(r.code, 0);
  assert.equal(statSync(join(d, 'k.key')).mode & 0o777, 0o600);
  assert.equal(r.json.keyid.length, 64);
  assert.equal((await hfx(['keygen', '--out', 'k'], { cwd: d })).code, 2);
});

test('sign re-signs in place; trust list/remove; inspect reports trust', async (t) => {
  const w = await world(t);
  const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'), { signKey: undefined });
  await hfx(['keygen', '--out', 'other'], { cwd: w.dir });
  let i = await hfx(['inspect', zip, '--home', w.home, '--json']);
  assert.equal(i.json.trust.ok, false);
  assert.equal((await hfx(['sign', zip, '--key', w.key], { cwd: w.dir })).code, 0);
  assert.equal((await hfx(['sign', zip, '--key', 'other.key', '--json'], { cwd: w.dir })).json.signatures, 2);
  i = await hfx(['inspect', zip, '--home', w.home, '--json']);
  assert.equal(i.json.trust.ok, true);
  assert.equal(i.json.signatures.length, 2);
  const list = await hfx(['trust', 'list', '--home', w.home, '--json']);
  assert.equal(list.json.keys.length, 1);
  assert.equal((await hfx(['trust', 'remove', list.json.keys[0].name, '--home', w.home])).code, 0);
  const r = await hfx(['apply', zip, '--home', w.home, '--json']);
  assert.equal(r.json.error.code, 'HFX_E_UNTRUSTED');
  assert.equal((await hfx(['trust', 'remove', 'nobody', '--home', w.home])).code, 2);
});

test('a second mutating command gets HFX_E_BUSY at once; a lock left by a dead process is taken over', async (t) => {
  const w = await world(t);
  const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'));
  const sleeper = spawn('sleep', ['30']);
  t.after(() => sleeper.kill());
  const lock = join(w.home, '.hfx/lock');
  writeFileSync(
    lock,
    JSON.stringify({ pid: sleeper.pid, host: (await import('node:os')).hostname(), command: 'apply', since: 'now' }),
  );
  const full = snapshot(w.home, { includeState: true });
  const t0 = Date.now();
  const busy = await hfx(['apply', zip, '--home', w.home]);
  assert.equal(busy.code, 6);
  assert.match(busy.stderr, /HFX_E_BUSY/);
  assert.ok(Date.now() - t0 < 2000, 'busy is reported at once');
  assert.deepEqual(snapshot(w.home, { includeState: true }), full);
  sleeper.kill('SIGKILL');
  await new Promise((r) => sleeper.once('exit', r));
  const ok = await hfx(['apply', zip, '--home', w.home]);
  assert.equal(ok.code, 0, ok.stderr);
});
