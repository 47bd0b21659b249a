import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERRORS, EXIT } from '../src/errors.js';

const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');

test('docs/errors.md lists every error code with the exit code and HTTP status of src/errors.ts', () => {
  const rows = new Map<string, { exit: number; http: number }>();
  for (const m of doc.matchAll(/^\| `(HFX_E_[A-Z_]+)` \| (\d+) \| (\d+) \|/gm))
    rows.set(m[1]!, { exit: Number(m[2]), http: Number(m[3]) });
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERRORS).sort());
  for (const [code, spec] of Object.entries(ERRORS))
    assert.deepEqual(rows.get(code), { exit: spec.exit, http: spec.http }, code);
});

test('docs/errors.md documents every exit code', () => {
  const documented = [...doc.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    documented.sort((a, b) => a - b),
    [...new Set(Object.values(EXIT))].sort((a, b) => a - b),
  );
});

test('every error code is raised somewhere in src (no dead codes)', () => {
  const src: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && n !== 'errors.ts') src.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(root, 'src'));
  const all = src.join('\n');
  for (const code of Object.keys(ERRORS)) {
    if (code === 'HFX_E_INTERNAL' || code === 'HFX_E_IO') continue; // raised through asHfxError in errors.ts
    assert.ok(all.includes(`'${code}'`), `${code} is never raised`);
  }
});
