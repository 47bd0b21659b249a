// docs/oci.md is run as written: an archive pushed to a registry, applied from it by tag and by
// manifest digest, copied with skopeo to an OCI layout (the USB disk of an air-gapped site) and
// applied from there.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bash, cleanEnv, notRun, ROOT, shellBlocks } from './helpers/doc-blocks.js';
import { startRegistry } from './helpers/registry.js';
import { requireTools } from './helpers/tools.js';

const PAGE = readFileSync(join(ROOT, 'docs/oci.md'), 'utf8');
const blocks = shellBlocks(PAGE, 'test/oci-doc.test.ts');
const W = mkdtempSync(join(tmpdir(), 'hfx-oci-doc-'));
after(() => rmSync(W, { recursive: true, force: true }));

test('docs/oci.md: every shell block is run, or says why not', () => {
  for (const b of blocks) if (b.skip !== null) assert.ok(b.skip.length >= 10, `line ${b.line}: no reason given`);
  assert.equal(blocks.filter((b) => b.skip === null).length, 1);
  assert.equal(
    PAGE.split('\n').filter((l) => notRun('test/oci-doc.test.ts').test(l.trim())).length,
    blocks.filter((b) => b.skip !== null).length,
  );
});

test('docs/oci.md: the air-gapped block runs as pasted: a real registry, then the USB disk', async () => {
  requireTools('docker-registry', 'skopeo');
  // A registry of its own: the block makes a new key each run, so the same id would be other
  // content on a shared one.
  const reg = await startRegistry();
  try {
    const block = blocks.find((b) => b.skip === null)!;
    const r = await bash(block.code, { ...cleanEnv(W), REGISTRY: reg.host }, 240_000);
    assert.equal(r.code, 0, `exit ${String(r.code)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    for (const said of [
      new RegExp(
        `pushed HF-1\\.0\\.0-0-0001 \\(.*\\) as ${reg.host.replace(/\./g, '\\.')}/hfx/demo:HF-1\\.0\\.0-0-0001`,
      ),
      /"artifactType":"application\/vnd\.hfx\.archive\.v1"/,
      /"mediaType":"application\/vnd\.hfx\.archive\.v1\+zip"/,
      /applied HF-1\.0\.0-0-0001 — Fix core/,
      /reverted HF-1\.0\.0-0-0001/,
      /core 1\.0\.1$/m,
    ])
      assert.match(r.stdout, said);
    assert.equal(
      (r.stdout.match(/applied HF-1\.0\.0-0-0001 — Fix core/g) ?? []).length,
      3,
      'applied from the registry by tag and by digest, and from the disk',
    );
  } finally {
    await reg.stop();
  }
});
