// docs/getting-started.md is run as written: from a started server to a customer's installation
// applying a pushed hotfix and reporting, every step a command of the page.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bash, cleanEnv, ROOT, shellBlocks } from './helpers/doc-blocks.js';

const PAGE = readFileSync(join(ROOT, 'docs/getting-started.md'), 'utf8');
const blocks = shellBlocks(PAGE, 'test/getting-started.test.ts');
const W = mkdtempSync(join(tmpdir(), 'hfx-getting-started-'));
after(() => rmSync(W, { recursive: true, force: true }));

test('docs/getting-started.md: its one shell block runs as pasted, and the customer ends with the fix applied and reported', async () => {
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]!.skip, null);
  const r = await bash(blocks[0]!.code, cleanEnv(W), 240_000);
  assert.equal(r.code, 0, `exit ${String(r.code)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  for (const said of [
    /logged in to http:\/\/127\.0\.0\.1:\d+ as admin \(admin\)/,
    /the server trusts vendor/,
    /TUF root 1 trusted/,
    /hotfix HF-1\.0\.0-0-0001 S1 Fix core/,
    /applied HF-1\.0\.0-0-0001 — Fix core/,
    /core 1\.0\.1$/m,
  ])
    assert.match(r.stdout, said);
  assert.match(r.stdout + r.stderr, /registered|reported/i);
});
