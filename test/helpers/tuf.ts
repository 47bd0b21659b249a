import { api } from './server.js';

/**
 * The target paths a repository offers, read straight from the server as a TUF client would find
 * them (timestamp → snapshot version → online role); signatures are checked by the tests that use
 * tuf-js itself (test/tuf.test.ts).
 */
export async function offered(url: string, repo: string, token: string): Promise<string[]> {
  const ts = await api(url, 'GET', `/v1/tuf/${repo}/metadata/timestamp.json`, token);
  if (ts.status !== 200) throw new Error(`timestamp.json: ${ts.status} ${JSON.stringify(ts.body)}`);
  const v = ts.body.signed.meta['snapshot.json'].version as number;
  const snap = await api(url, 'GET', `/v1/tuf/${repo}/metadata/${v}.snapshot.json`, token);
  const online = await api(
    url,
    'GET',
    `/v1/tuf/${repo}/metadata/${snap.body.signed.meta['online.json'].version}.online.json`,
    token,
  );
  return Object.keys(online.body.signed.targets).sort();
}
