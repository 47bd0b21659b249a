import { keygen } from '../../../engine/index.js';
import { defineCommand, str } from '../../command.js';

export const keygenCommand = defineCommand({
  name: 'keygen',
  summary: 'make an ed25519 key pair for signing hotfix archives',
  usage: 'hfx keygen --out NAME',
  details:
    'Writes NAME.key (private, mode 0600: keep it secret) and NAME.pub (give it to installations: `hfx trust add NAME.pub`).',
  examples: ['$ hfx keygen --out release-2026     # writes release-2026.key and release-2026.pub'],
  options: { out: { type: 'string', short: 'o' } },
  run({ values }, { out, path }) {
    const r = keygen(path(str(values.out, 'out', 'keygen')));
    out.result(r);
    out.line(`${out.c.green('✓')} wrote ${r.privateKey} (secret) and ${r.publicKey}`);
    out.line(`  key id ${r.keyid}`);
    return 0;
  },
});
