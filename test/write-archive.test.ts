// The archive writer (src/engine/archive/write-archive.ts) on its own: the same input gives the
// same bytes whichever way an entry is written (deflated whole, several at once, or stored), and a
// payload file that changes size between the manifest and the writing is refused with nothing left.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_LIMITS } from '../src/engine/archive/limits.js';
import type { Manifest } from '../src/engine/archive/manifest.js';
import { writeArchive } from '../src/engine/archive/write-archive.js';
import { diffTrees, openArchive } from '../src/engine/index.js';

const root = mkdtempSync(join(tmpdir(), 'hfx-write-archive-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Two trees whose difference has text to deflate (one of them over 8 MiB), a jar to store, and a file in a new directory. */
async function fixture(name: string): Promise<{ dir: string; newDir: string; manifest: Manifest }> {
  const dir = join(root, name);
  const oldDir = join(dir, 'old');
  const newDir = join(dir, 'new');
  mkdirSync(join(oldDir, 'lib'), { recursive: true });
  mkdirSync(join(newDir, 'lib', 'sub'), { recursive: true });
  writeFileSync(join(oldDir, 'lib', 'big.js'), 'let a = 1;\n'.repeat(100_000));
  writeFileSync(join(newDir, 'lib', 'big.js'), 'const answer = 42; // the new one\n'.repeat(300_000)); // ~10 MB
  writeFileSync(join(newDir, 'lib', 'conf.xml'), '<conf><x>1</x></conf>\n'.repeat(5_000));
  writeFileSync(join(newDir, 'lib', 'sub', 'small.txt'), 'small\n');
  writeFileSync(join(newDir, 'lib', 'tool.jar'), randomBytes(300_000));
  writeFileSync(join(newDir, 'lib', 'empty.txt'), '');
  const out = join(dir, 'first.zip');
  await diffTrees({
    oldDir,
    newDir,
    out,
    product: 'p',
    version: '1',
    level: 0,
    id: 'HF-W-1',
    title: 'w',
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const a = await openArchive(out, DEFAULT_LIMITS);
  const manifest = a.manifest;
  a.close();
  return { dir, newDir, manifest };
}

test('writeArchive: the same manifest and files give the same bytes every time, and every payload checks out', async () => {
  const { dir, newDir, manifest } = await fixture('same');
  const write = async (name: string): Promise<Buffer> => {
    await writeArchive(join(dir, name), manifest, null, (p) => ({ file: join(newDir, p) }));
    return readFileSync(join(dir, name));
  };
  const first = await write('a.zip');
  assert.deepEqual(await write('b.zip'), first);
  assert.deepEqual(readFileSync(join(dir, 'first.zip')), first, 'as hfx diff wrote it');
  const a = await openArchive(join(dir, 'a.zip'), DEFAULT_LIMITS);
  try {
    await a.verifyPayload();
    assert.deepEqual(
      a.manifest.entries.map((e) => e.path),
      ['lib/big.js', 'lib/conf.xml', 'lib/empty.txt', 'lib/sub', 'lib/sub/small.txt', 'lib/tool.jar'],
    );
  } finally {
    a.close();
  }
});

for (const [what, file] of [
  ['deflated whole', 'lib/conf.xml'],
  ['deflated whole, over 8 MiB, beside others', 'lib/big.js'],
  ['stored', 'lib/tool.jar'],
] as const) {
  for (const change of ['grew', 'shrank'] as const) {
    test(`writeArchive: a payload file (${what}) that ${change} since the manifest is refused, and no archive or temp file is left`, async () => {
      const { dir, newDir, manifest } = await fixture(`${change}-${file.replaceAll('/', '-')}`);
      const path = join(newDir, file);
      const size = readFileSync(path).length;
      if (change === 'grew') appendFileSync(path, 'more');
      else truncateSync(path, size - 3);
      const out = join(dir, 'out.zip');
      await assert.rejects(
        writeArchive(out, manifest, null, (p) => ({ file: join(newDir, p) })),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'HFX_E_IO');
          assert.match(e.message, new RegExp(`${file.replace('.', '\\.')} changed while the archive was written`));
          assert.match(
            e.message,
            change === 'grew' ? new RegExp(`more than ${size} bytes`) : new RegExp(`${size - 3} bytes, not ${size}`),
          );
          return true;
        },
      );
      assert.deepEqual(readdirSync(dir).sort(), ['first.zip', 'new', 'old']);
    });
  }
}

test('writeArchive: a file over 32 MiB streams through deflate, and one that grew meanwhile is refused the same way', async () => {
  const dir = join(root, 'huge');
  mkdirSync(join(dir, 'old'), { recursive: true });
  mkdirSync(join(dir, 'new'), { recursive: true });
  const huge = join(dir, 'new', 'huge.log');
  writeFileSync(huge, 'a log line that repeats\n'.repeat(1_500_000)); // 36 MB
  const out = join(dir, 'first.zip');
  await diffTrees({
    oldDir: join(dir, 'old'),
    newDir: join(dir, 'new'),
    out,
    product: 'p',
    version: '1',
    level: 0,
    id: 'HF-W-2',
    title: 'w',
  });
  const a = await openArchive(out, DEFAULT_LIMITS);
  const manifest = a.manifest;
  try {
    await a.verifyPayload();
  } finally {
    a.close();
  }
  appendFileSync(huge, 'one more line\n');
  await assert.rejects(
    writeArchive(join(dir, 'out.zip'), manifest, null, (p) => ({ file: join(dir, 'new', p) })),
    /huge\.log changed while the archive was written \(more than 36000000 bytes\)/,
  );
  assert.deepEqual(readdirSync(dir).sort(), ['first.zip', 'new', 'old']);
});

test('writeArchive: a source read as a stream (hfx sign re-packing an archive) with more or fewer bytes than the manifest says is refused', async () => {
  const { dir, newDir, manifest } = await fixture('streamed');
  for (const [delta, said] of [
    [4, /lib\/conf\.xml changed while the archive was written \(more than \d+ bytes\)/],
    [-4, /lib\/conf\.xml changed while the archive was written \(\d+ bytes, not \d+\)/],
  ] as const) {
    const source = (p: string) => {
      const bytes = readFileSync(join(newDir, p));
      const off = p === 'lib/conf.xml' ? delta : 0;
      const body = off > 0 ? Buffer.concat([bytes, Buffer.alloc(off)]) : bytes.subarray(0, bytes.length + off);
      return { open: () => Promise.resolve(Readable.from([body.subarray(0, 1000), body.subarray(1000)])) };
    };
    await assert.rejects(writeArchive(join(dir, 'out.zip'), manifest, null, source), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'HFX_E_IO');
      assert.match(e.message, said);
      return true;
    });
    assert.deepEqual(readdirSync(dir).sort(), ['first.zip', 'new', 'old']);
  }
  // Unchanged, the streamed sources give the archive the files gave.
  const same = (p: string) => ({ open: () => Promise.resolve(Readable.from([readFileSync(join(newDir, p))])) });
  await writeArchive(join(dir, 'streamed.zip'), manifest, null, same);
  assert.deepEqual(readFileSync(join(dir, 'streamed.zip')), readFileSync(join(dir, 'first.zip')));
});
