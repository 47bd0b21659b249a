import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import { defineCommand, int } from '../../command.js';
import { remoteOf } from '../../server-remote.js';

export const deployCommand = defineCommand({
  name: 'deploy',
  summary: 'record a deployment of a hotfix or an update level to an environment, with its tag',
  usage: 'hfx deploy PRODUCT ENV (--hotfix ID | --level N) [--tag V] [--approve REASON] [--dry-run] [--server URL]',
  details: [
    'Suggests the next tag ("Tag & Deploy 1.7.1"): a hotfix bumps the patch number of the highest tag of the product (or of its release), an update level the minor one; --tag overrides it. --dry-run only shows the suggestion.',
    "The environment's installations then apply it (`hfx apply ID --server`, `hfx update --server`) and report (`hfx state --report`, `hfx env report`).",
    'A hotfix deployed straight to the last environment (Production) without being in the one before it needs --approve REASON by a release manager; the approval is audited. A hotfix not yet in every earlier environment is shown red until propagated (`hfx propagate`).',
  ].join('\n\n'),
  examples: [
    '$ hfx deploy ecommerce Pre-Production --hotfix HF-1.7.0-0-0001 --dry-run',
    '$ hfx deploy ecommerce Production --hotfix HF-1.7.0-0-0001 --tag 1.7.1',
    '$ hfx deploy ecommerce Production --hotfix HF-1.7.0-0-0002 --approve "checkout down, INC-4411"',
    '$ hfx deploy ecommerce QA --level 3',
  ],
  options: {
    hotfix: { type: 'string' },
    level: { type: 'string' },
    tag: { type: 'string' },
    approve: { type: 'string' },
    'dry-run': { type: 'boolean' },
    server: { type: 'string' },
  },
  args: ['PRODUCT', 'ENV'],
  async run({ values: v, args: [product, env] }, ctx) {
    const { out } = ctx;
    if ((v.hotfix === undefined) === (v.level === undefined))
      throw new HfxError('HFX_E_USAGE', 'give exactly one of --hotfix and --level');
    if (v.approve?.trim() === '') throw new HfxError('HFX_E_USAGE', '--approve needs a reason');
    const body = {
      ...(v.hotfix !== undefined ? { hotfix: v.hotfix } : { level: int(v.level, 'level') }),
      ...(v.tag !== undefined ? { tag: v.tag } : {}),
      ...(v.approve !== undefined ? { approval: { reason: v.approve } } : {}),
      ...(v['dry-run'] ? { dryRun: true } : {}),
    };
    const r = await call<{
      id?: number;
      tag: string;
      suggestedTag: string;
      approvalRequired?: boolean;
      approved?: string | null;
    }>(
      remoteOf(ctx, v),
      'POST',
      `/v1/environments/${encodeURIComponent(product)}/${encodeURIComponent(env)}/deploy`,
      body,
    );
    out.result(r);
    if (v['dry-run'])
      out.line(
        `Tag & Deploy ${r.suggestedTag}${r.approvalRequired ? out.c.yellow(' (needs --approve REASON by a release manager: it skips the environment before)') : ''}`,
      );
    else {
      const approved = r.approved ? ` (approved: ${r.approved})` : '';
      out.line(`${out.c.green('✓')} deployment #${r.id ?? '?'} to ${env} tagged ${r.tag}${approved}`);
    }
    return 0;
  },
});
