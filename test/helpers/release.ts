/**
 * A valid, published release manifest (docs/releases.md) of acme-platform; `over` replaces fields,
 * and a field set to undefined is left out (a draft has no published_at).
 */
export function releaseManifest(version: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const m: Record<string, unknown> = {
    name: 'acme-platform',
    version,
    status: 'published',
    published_at: '2026-01-02T00:00:00.000Z',
    commit: 'c'.repeat(40),
    released_at: '2026-01-01T00:00:00.000Z',
    notes: `release ${version}`,
    channels: ['stable'],
    images: { api: `registry.example.com:5000/team/api:${version}`, ui: 'docker.io/library/nginx:1.25' },
    components: { schema: '41' },
    ...over,
  };
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));
}
