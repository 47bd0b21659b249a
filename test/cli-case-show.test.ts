// `hfx case show` prints a case's notifications as the server sends them to the caller: release
// managers and admins see where each one went; below them the server leaves the target out, and
// the line names the kind alone (it read "notified email undefined" before).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hfx } from './helpers/cli.js';
import { api, testServer } from './helpers/server.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("hfx case show: a developer sees each notification's kind and event, a release manager its target too", async () => {
  const s = await testServer();
  try {
    const admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
      .token as string;
    assert.equal((await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' })).status, 201);
    const sub = await api(s.url, 'POST', '/v1/subscriptions', admin, {
      kind: 'email',
      target: 'contact@acme.example',
      customer: 'acme',
      events: ['case.created'],
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    for (const [username, role] of [
      ['dana', 'developer'],
      ['rick', 'release-manager'],
    ] as const) {
      const u = await api(s.url, 'POST', '/v1/users', admin, { username, password: `${username}-password-long`, role });
      assert.equal(u.status, 201, JSON.stringify(u.body));
    }
    const c = await api(s.url, 'POST', '/v1/cases', admin, {
      title: 'login fails after 4.2.0',
      source: 'monitoring',
      reporter: 'acme ops',
      product: 'demo',
      impact: 'all',
      severity: 'S1',
      customer: 'acme',
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const id = String(c.body.id);
    const showAs = async (username: string) => {
      const env = { HFX_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'hfx-case-show-')), NO_COLOR: '1' };
      dirs.push(env.HFX_CONFIG_DIR);
      const login = await hfx(['login', s.url, '--user', username], {
        env: { ...env, HFX_PASSWORD: `${username}-password-long` },
      });
      assert.equal(login.code, 0, login.stderr);
      const r = await hfx(['case', 'show', id], { env });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const dev = await showAs('dana');
    assert.match(dev, new RegExp(`^ {2}notified email: case\\.created:${id} (pending|delivered)$`, 'm'));
    assert.doesNotMatch(dev, /undefined|contact@acme/);
    const rm = await showAs('rick');
    assert.match(
      rm,
      new RegExp(`^ {2}notified email contact@acme\\.example: case\\.created:${id} (pending|delivered)$`, 'm'),
    );
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
