// docs/security.md names, for each control, the tests that show it: every one must exist, as
// docs/errors.md's codes must (fastify's rule: the docs and the code agree).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/security.md'), 'utf8');

/** The test titles a file declares, with its string escapes undone. */
function titles(file: string): Set<string> {
  const src = readFileSync(join(root, file), 'utf8');
  const out = new Set<string>();
  for (const m of src.matchAll(/\btest\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\$]|\\.)*)`)/g)) {
    out.add((m[1] ?? m[2] ?? m[3]!).replace(/\\(.)/g, '$1'));
  }
  return out;
}

test('every test docs/security.md cites exists, under that title, in that file', () => {
  const refs = [...doc.matchAll(/^- `(test\/[\w.-]+\.test\.ts)`: "([^"]+)"/gm)].map((m) => ({
    file: m[1]!,
    title: m[2]!,
  }));
  assert.ok(refs.length >= 30, `only ${refs.length} references`);
  const missing = refs
    .filter((r) => !existsSync(join(root, r.file)) || !titles(r.file).has(r.title))
    .map((r) => `${r.file}: "${r.title}"`);
  assert.deepEqual(missing, []);
});

test('each of the seven controls cites at least one test', () => {
  const sections = doc.split(/^### /m).slice(1);
  assert.equal(sections.length, 7, 'seven controls');
  for (const s of sections) {
    assert.match(s, /^- `test\/[\w.-]+\.test\.ts`: "/m, `control "${s.split('\n')[0]!}" cites no test`);
  }
});
