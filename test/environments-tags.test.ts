// The tag a deployment suggests (nextTag) and the version order it is judged by (compareVersions),
// as laws over generated versions; environments-model.test.ts has the worked examples.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isHfxError } from '../src/errors.js';
import { compareVersions, nextTag } from '../src/server/environments/model.js';

// Numbers as version parts are written: small ones mostly, some beyond 2^31, none past 2^53, where
// a JavaScript number no longer holds every integer (a version part that large is not a version).
const part = fc.oneof(
  fc.nat(20),
  fc.nat(),
  fc.maxSafeNat().map((n) => Math.floor(n / 2)),
);
const suffix = fc.constantFrom('', '-rc1', '-beta.2', '+build.7', '-SNAPSHOT');
/** Versions as they are tagged: 1, 1.7, 1.7.3, with or without a leading v and a pre-release or build suffix. */
const version = fc
  .record({ v: fc.boolean(), parts: fc.array(part, { minLength: 1, maxLength: 3 }), suffix })
  .map(({ v, parts, suffix: s }) => `${v ? 'v' : ''}${parts.join('.')}${s}`);
const kind = fc.constantFrom('hotfix' as const, 'update' as const);

describe('nextTag', () => {
  test('is greater than the version it starts from', () => {
    fc.assert(
      fc.property(version, kind, (v, k) => {
        assert.ok(compareVersions(nextTag(v, k), v) > 0, `${nextTag(v, k)} is not after ${v}`);
      }),
    );
  });

  test("a hotfix's tag comes before the next update's", () => {
    fc.assert(
      fc.property(version, (v) => {
        assert.ok(compareVersions(nextTag(v, 'hotfix'), nextTag(v, 'update')) < 0);
      }),
    );
  });

  test('is a plain MAJOR.MINOR.PATCH, keeping the leading v', () => {
    fc.assert(
      fc.property(version, kind, (v, k) => {
        const t = nextTag(v, k);
        assert.match(t, /^v?\d+\.\d+\.\d+$/);
        assert.equal(t.startsWith('v'), v.startsWith('v'));
      }),
    );
  });

  test('a hotfix moves only the patch, an update the minor (patch back to 0)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (major, minor, patch) => {
        assert.equal(nextTag(`${major}.${minor}.${patch}`, 'hotfix'), `${major}.${minor}.${patch + 1}`);
        assert.equal(nextTag(`${major}.${minor}.${patch}`, 'update'), `${major}.${minor + 1}.0`);
      }),
    );
  });

  test('applied again and again, it only grows', () => {
    fc.assert(
      fc.property(version, fc.array(kind, { minLength: 1, maxLength: 10 }), (v, kinds) => {
        let cur = v;
        for (const k of kinds) {
          const next = nextTag(cur, k);
          assert.ok(compareVersions(next, cur) > 0);
          cur = next;
        }
      }),
    );
  });

  test('what is not a version is refused with HFX_E_USAGE', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^v?\d/.test(s)),
        kind,
        (s, k) => {
          assert.throws(
            () => nextTag(s, k),
            (e: unknown) => isHfxError(e, 'HFX_E_USAGE'),
          );
        },
      ),
    );
  });
});

describe('compareVersions', () => {
  test('is an order: reflexive and antisymmetric', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.equal(compareVersions(a, a), 0);
        assert.equal(Math.sign(compareVersions(a, b)), -Math.sign(compareVersions(b, a)) || 0);
      }),
    );
  });

  test('is transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) assert.ok(compareVersions(a, c) <= 0);
      }),
    );
  });
});
