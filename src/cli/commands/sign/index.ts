import { signArchive } from '../../../engine/index.js';
import { defineCommand, str } from '../../command.js';

export const signCommand = defineCommand({
  name: 'sign',
  summary: 'sign (or re-sign) an archive in place with an ed25519 key',
  usage: 'hfx sign FILE.zip --key NAME.key',
  details:
    'A signature by the same key is replaced; signatures by other keys are kept. The file is replaced atomically.',
  examples: ['$ hfx sign HF-4.2.0-12-0007.zip --key release.key'],
  options: { key: { type: 'string', short: 'k' } },
  args: ['FILE.zip'],
  async run({ values, args: [zip] }, { out, path }) {
    const file = path(zip);
    const r = await signArchive(file, path(str(values.key, 'key', 'sign')));
    out.result({ file, ...r });
    out.line(
      `${out.c.green('✓')} signed ${file} with key ${r.keyid.slice(0, 16)} (${r.signatures} signature${r.signatures === 1 ? '' : 's'})`,
    );
    return 0;
  },
});
