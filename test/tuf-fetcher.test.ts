// The client's TUF fetcher names its download after the target URL's last segment: a name that
// would leave .hfx/tuf/targets/ is refused before anything is fetched or written.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isHfxError } from '../src/errors.js';
import { layout } from '../src/engine/index.js';
import { HfxFetcher } from '../src/client/tuf.js';
import { tmp } from './helpers/fixtures.js';

test('a target named ..%2F.. or with an encoded slash is refused with HFX_E_METADATA, nothing written', async (t) => {
  const home = tmp(t);
  const l = layout(home);
  mkdirSync(join(l.tuf, 'targets'), { recursive: true });
  // Port 9 (discard) on loopback: a request would fail differently; these must not get that far.
  const f = new HfxFetcher(l, { base: 'http://127.0.0.1:9/v1/tuf/_everyone', token: 'x' });
  for (const name of ['..%2F..%2Fevil.zip', '%2E%2E', 'a%2Fb.zip', 'a%5Cb.zip', 'a%00b.zip']) {
    await assert.rejects(
      f.downloadFile(`http://127.0.0.1:9/v1/tuf/_everyone/targets/${name}`, 1000, () => Promise.resolve(null)),
      (e: unknown) => isHfxError(e) && e.code === 'HFX_E_METADATA',
      name,
    );
  }
  assert.deepEqual(readdirSync(join(l.tuf, 'targets')), []);
  assert.equal(existsSync(join(home, 'evil.zip.part')), false);
});
