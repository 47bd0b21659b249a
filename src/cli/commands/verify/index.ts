import { HfxError } from '../../../errors.js';
import { verifyHome } from '../../../engine/index.js';
import { HOME, defineCommand } from '../../command.js';

export const verifyCommand = defineCommand({
  name: 'verify',
  summary: 'compare every file with the recorded state (baseline + hotfixes); report drift',
  usage: 'hfx verify [--home DIR] [--json]',
  details:
    'Exit 0 when the pack is exactly as recorded, 7 (HFX_E_DRIFT) when anything was modified, is missing or is unexpected.',
  examples: ['$ hfx verify --home /opt/wso2am', '$ hfx verify --json | jq .modified'],
  options: { ...HOME },
  async run({ values }, { out, home }) {
    const r = await verifyHome({ home: home(values.home), onProgress: (d, t) => out.progress('verify', d, t) });
    const c = out.c;
    if (r.ok) {
      out.result(r);
      out.line(`${c.green('✓')} ${r.checked} paths checked: the pack is exactly as recorded`);
      if (r.pending) out.warn(r.pending);
      return 0;
    }
    for (const [label, list, mark] of [
      ['modified', r.modified, c.yellow('M')],
      ['missing', r.missing, c.red('D')],
      ['unexpected', r.unexpected, c.cyan('?')],
    ] as const) {
      if (list.length) out.line(`${list.length} ${label}:`);
      for (const d of list) out.line(`  ${mark} ${d.path}`);
    }
    throw new HfxError(
      'HFX_E_DRIFT',
      `${r.modified.length} modified, ${r.missing.length} missing, ${r.unexpected.length} unexpected of ${r.checked} paths`,
      {
        hint: 'Restore the files from the pack or a backup; hotfixes that touch drifted files will stop with a conflict.',
        details: r,
      },
    );
  },
});
