import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deployCommand } from '../src/cli/commands/deploy/index.js';
import { envCommand } from '../src/cli/commands/env/index.js';
import { propagateCommand } from '../src/cli/commands/propagate/index.js';
import { packContentHash } from '../src/client/environments.js';
import {
  compareFiles,
  compareVersions,
  contentSignature,
  displayVersion,
  nextTag,
} from '../src/server/environments/model.js';
import { isHfxError } from '../src/errors.js';
import { helpText } from '../src/cli/command.js';

describe('environments: pure functions', () => {
  test('the next tag: a hotfix bumps the patch, an update the minor', () => {
    assert.equal(nextTag('1.7.0', 'hotfix'), '1.7.1');
    assert.equal(nextTag('1.7.1', 'hotfix'), '1.7.2');
    assert.equal(nextTag('1.7.9', 'hotfix'), '1.7.10');
    assert.equal(nextTag('v2.0.0', 'hotfix'), 'v2.0.1');
    assert.equal(nextTag('1.7', 'hotfix'), '1.7.1');
    assert.equal(nextTag('4.2.0-rc1', 'hotfix'), '4.2.1');
    assert.equal(nextTag('1.7.3', 'update'), '1.8.0');
    assert.throws(
      () => nextTag('latest', 'hotfix'),
      (e: unknown) => isHfxError(e, 'HFX_E_USAGE'),
    );
  });

  test('versions compare numerically', () => {
    assert.ok(compareVersions('1.10.0', '1.9.3') > 0);
    assert.ok(compareVersions('1.7.1', '1.7.1') === 0);
    assert.ok(compareVersions('v1.7.0', '1.7.1') < 0);
  });

  test("'+' marks untagged changes; the content signature ignores hotfix order", () => {
    assert.equal(displayVersion('1.7.1', '1.7.0', false), '1.7.1');
    assert.equal(displayVersion('1.7.1', '1.7.0', true), '1.7.1+');
    assert.equal(displayVersion(null, '1.7.0', true), '1.7.0+');
    assert.equal(displayVersion(null, null, false), null);
    const a = contentSignature({
      release: '1.0.0',
      level: 0,
      hotfixes: [
        { id: 'A', digest: '1' },
        { id: 'B', digest: '2' },
      ],
    });
    const b = contentSignature({
      release: '1.0.0',
      level: 0,
      hotfixes: [
        { id: 'B', digest: '2' },
        { id: 'A', digest: '1' },
      ],
    });
    assert.equal(a, b);
    assert.notEqual(
      a,
      contentSignature({
        release: '1.0.0',
        level: 0,
        hotfixes: [
          { id: 'B', digest: '2' },
          { id: 'A', digest: 'x' },
        ],
      }),
    );
  });

  test('file comparison names every path either side changes', () => {
    const r = compareFiles(
      new Map([
        ['lib/a', 'h1'],
        ['lib/b', null],
      ]),
      new Map([
        ['lib/a', 'h2'],
        ['lib/c', 'h3'],
      ]),
    );
    assert.deepEqual(r, [
      { path: 'lib/a', a: 'h1', b: 'h2', same: false },
      { path: 'lib/b', a: null, b: 'base', same: false },
      { path: 'lib/c', a: 'base', b: 'h3', same: false },
    ]);
  });

  test('the pack content hash depends on paths, types, modes and contents, not on insertion order', () => {
    const f = (sha: string, mode = '0644') => ({ type: 'file' as const, sha256: sha.repeat(64), size: 1, mode });
    const t1 = new Map<string, never>([
      ['b', f('b')],
      ['a', f('a')],
    ] as never);
    const t2 = new Map<string, never>([
      ['a', f('a')],
      ['b', f('b')],
    ] as never);
    assert.equal(packContentHash(t1), packContentHash(t2));
    assert.notEqual(
      packContentHash(t1),
      packContentHash(
        new Map([
          ['a', f('a')],
          ['b', f('b', '0755')],
        ] as never),
      ),
    );
    assert.notEqual(
      packContentHash(t1),
      packContentHash(
        new Map([
          ['a', f('a')],
          ['b', f('c')],
        ] as never),
      ),
    );
    assert.match(packContentHash(new Map()), /^[0-9a-f]{64}$/);
  });

  test('the commands describe themselves like the others', () => {
    for (const c of [envCommand, deployCommand, propagateCommand]) {
      assert.ok(c.summary && c.usage.startsWith(`hfx ${c.name}`) && c.examples.length > 0);
      for (const e of c.examples) assert.ok(e.startsWith('$ hfx '), e);
      assert.match(helpText(c), /Usage: hfx /);
      assert.match(helpText(c), /Examples:\n {2}\$ hfx /);
    }
    assert.deepEqual([envCommand.name, deployCommand.name, propagateCommand.name], ['env', 'deploy', 'propagate']);
  });
});
