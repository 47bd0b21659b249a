import { filesAt } from '../../../client/environments.js';
import { call } from '../../../client/http.js';
import { defineCommand, str } from '../../command.js';
import { remoteOf } from '../../server-remote.js';

export const propagateCommand = defineCommand({
  name: 'propagate',
  summary: 'propagate a hotfix back to an earlier environment: deploy it there, or record a merge by commit',
  usage: 'hfx propagate PRODUCT HOTFIX --to ENV [--merged COMMIT --home DIR] [--dry-run] [--server URL]',
  details: [
    'Without --merged, records a deployment of the hotfix to ENV; its installations apply it (`hfx apply HOTFIX --server`) and report (`hfx state --report`, `hfx env report`), and it counts as present once every one of them runs it with the same digest.',
    "With --merged COMMIT, the change was merged into that environment's code instead: hfx reads, in the built pack DIR of that environment, every path the hotfix touches, and the server records the merge only if each holds the hotfix's content (by sha256).",
    'A hotfix is solved only when it is present in every environment (`hfx env presence`).',
  ].join('\n\n'),
  examples: [
    '$ hfx propagate ecommerce HF-1.7.0-0-0001 --to QA',
    '$ hfx propagate ecommerce HF-1.7.0-0-0001 --to Development --merged 3f2a9c1 --home build/ecommerce',
  ],
  options: {
    to: { type: 'string' },
    'dry-run': { type: 'boolean' },
    merged: { type: 'string' },
    home: { type: 'string' },
    server: { type: 'string' },
  },
  args: ['PRODUCT', 'HOTFIX'],
  async run({ values: v, args: [product, id] }, ctx) {
    const { out } = ctx;
    const to = str(v.to, 'to', 'propagate');
    const remote = remoteOf(ctx, v);
    const base = `/v1/environments/${encodeURIComponent(product)}/hotfixes/${encodeURIComponent(id)}`;
    let merged: { commit: string; files: Record<string, string | null> } | undefined;
    if (v.merged !== undefined) {
      const commit = str(v.merged, 'merged', 'propagate');
      const f = await call<{ files: { path: string }[] }>(remote, 'GET', `${base}/files`);
      merged = {
        commit,
        files: filesAt(
          ctx.home(v.home),
          f.files.map((x) => x.path),
        ),
      };
    }
    const r = await call<{
      id: number;
      how: string;
      presence: { everywhere: boolean; environments: { name: string; present: boolean }[] };
    }>(remote, 'POST', `${base}/propagate`, {
      to,
      ...(merged ? { merged } : {}),
      ...(v['dry-run'] ? { dryRun: true } : {}),
    });
    out.result(r);
    if (v['dry-run']) {
      out.line(
        `would ${r.how === 'merged' ? `record the merge into ${to} (its files hold the fix)` : `deploy ${id} to ${to}`}; nothing recorded`,
      );
      return 0;
    }
    out.line(
      `${out.c.green('✓')} ${id} ${r.how === 'merged' ? `merged into ${to} (checked by content)` : `deployed to ${to}: its installations apply it with \`hfx apply ${id} --server\``}`,
    );
    const missing = r.presence.environments.filter((e) => !e.present).map((e) => e.name);
    out.line(
      missing.length ? `not yet present in ${missing.join(', ')}` : 'present everywhere: it can be marked solved',
    );
    return 0;
  },
});
