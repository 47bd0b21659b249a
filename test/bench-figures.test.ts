// `npm run bench` (bench/all.ts) collects every script's figures through bench/figures.ts and prints
// them in one table: the hand-over and the table are checked here, and the runner's own refusals.
// The benchmarks themselves are not run by the tests (they take minutes and want a quiet machine).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { figuresTable, FIGURES_ENV, readFigures, recordFigures } from '../bench/figures.js';

const ALL = fileURLToPath(new URL('../bench/all.js', import.meta.url));

test('bench figures: each script appends its figures to the named file; the table shows each with its goal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hfx-figures-'));
  const file = join(dir, 'figures.jsonl');
  const before = process.env[FIGURES_ENV];
  try {
    Reflect.deleteProperty(process.env, FIGURES_ENV);
    recordFigures('run', [{ row: 'not collected', value: '1', goal: '', met: null }]);
    assert.deepEqual(readFigures(file), [], 'a script run alone hands nothing over');
    process.env[FIGURES_ENV] = file;
    recordFigures('run', [
      {
        row: 'apply 20k / unzip -oq',
        value: '1.17 (0.301 / 0.257 s)',
        goal: '≤ 1.2',
        met: true,
        issue: 16,
        otherLoad: 0.09,
      },
      { row: 'diff 20k / diff -rq', value: '1.21 (0.849 / 0.700 s)', goal: '≤ 0.8', met: false, issue: 16 },
    ]);
    recordFigures('image', [{ row: "layers' bytes vs gzip's", value: '1.014', goal: 'information', met: null }]);
    const figures = readFigures(file);
    assert.deepEqual(
      figures.map((f) => [f.bench, f.row, f.met]),
      [
        ['run', 'apply 20k / unzip -oq', true],
        ['run', 'diff 20k / diff -rq', false],
        ['image', "layers' bytes vs gzip's", null],
      ],
    );
    const lines = figuresTable(figures).split('\n');
    assert.match(lines[0]!, /^bench +figure +measured +goal +result +other load$/);
    assert.match(lines[2]!, /^run +apply 20k \/ unzip -oq \[#16\] +1\.17 \(0\.301 \/ 0\.257 s\) +≤ 1\.2 +met +0\.09$/);
    assert.match(lines[3]!, /diff 20k \/ diff -rq \[#16\] .* ≤ 0\.8 +MISSED$/);
    assert.match(lines[4]!, /^image .* information +info$/);
  } finally {
    if (before === undefined) Reflect.deleteProperty(process.env, FIGURES_ENV);
    else process.env[FIGURES_ENV] = before;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run bench: --help names every script; an unknown script or a bad --wait-quiet is refused before anything runs', () => {
  const help = spawnSync(process.execPath, [ALL, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const s of ['run', 'updates', 'server', 'cases', 'image', 'oci', 'dashboard'])
    assert.match(help.stdout, new RegExp(`\\b${s}\\b`));
  const only = spawnSync(process.execPath, [ALL, '--only', 'run,bogus'], { encoding: 'utf8' });
  assert.equal(only.status, 2);
  assert.match(
    only.stderr,
    /--only: unknown script "bogus" \(one of run, updates, server, cases, image, oci, dashboard\)/,
  );
  assert.doesNotMatch(only.stderr, /\[bench\] run:/, 'nothing started');
  const quiet = spawnSync(process.execPath, [ALL, '--wait-quiet', 'soon'], { encoding: 'utf8' });
  assert.equal(quiet.status, 2);
  assert.match(quiet.stderr, /--wait-quiet takes seconds ≥ 0/);
});
