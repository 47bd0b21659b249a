// The blob directory's temp files: uploads cut off by a killed process are removed once untouched
// for a day (at start and hourly), never an upload another process is still writing.
import assert from 'node:assert/strict';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobStore } from '../src/server/blobs.js';
import { tmp } from './helpers/fixtures.js';

test('sweep removes temp files untouched for a day and keeps fresh ones', (t) => {
  const dir = tmp(t);
  const blobs = new BlobStore(dir);
  const stale = join(dir, 'tmp', '123-1-stale');
  const live = join(dir, 'tmp', '456-2-live');
  writeFileSync(stale, 'cut off');
  writeFileSync(live, 'still uploading');
  const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
  utimesSync(stale, twoDaysAgo, twoDaysAgo);
  assert.equal(blobs.sweep(), 1);
  assert.deepEqual(readdirSync(join(dir, 'tmp')), ['456-2-live']);
  assert.equal(blobs.sweep(), 0);
  // A server starting on the directory sweeps too.
  utimesSync(live, twoDaysAgo, twoDaysAgo);
  new BlobStore(dir);
  assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
});
