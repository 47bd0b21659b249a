import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from '../../command.js';

/** A sample pack: a few libraries, a config, a launcher script. */
function makePack(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'lib'), { recursive: true });
  mkdirSync(join(dir, 'conf'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'server.sh'), '#!/bin/sh\nexec java -jar lib/core.jar "$@"\n', { mode: 0o755 });
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'lib', `module-${i}.jar`), `module ${i} `.repeat(2000));
  writeFileSync(join(dir, 'lib', 'core.jar'), 'core 1.0 '.repeat(5000));
  writeFileSync(join(dir, 'conf', 'server.toml'), '[server]\nport = 9443\n');
}

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'a guided tour on a generated sample pack in a temp directory (what `npm start` runs)',
  usage: 'hfx demo [--keep]',
  details:
    'Runs keygen → diff → init → trust → apply → state → verify → revert, printing each command as you would type it.',
  examples: ['$ hfx demo', '$ hfx demo --keep     # leave the temp directory for you to explore'],
  options: { keep: { type: 'boolean' } },
  async run({ values }, { io, out }) {
    const { main } = await import('../../main.js');
    const root = mkdtempSync(join(tmpdir(), 'hfx-demo-'));
    const c = out.c;
    const step = (text: string, argv: string[]): Promise<number> => {
      out.line(`\n${c.dim('# ' + text)}\n${c.bold('$ hfx ' + argv.join(' '))}`);
      return main(argv, { ...io, cwd: root });
    };
    try {
      out.line(c.bold('hfx demo') + ` — working in ${root}`);
      makePack(join(root, 'pack'));
      cpSync(join(root, 'pack'), join(root, 'fixed'), { recursive: true });
      writeFileSync(join(root, 'fixed', 'lib', 'core.jar'), 'core 1.0.1 (token expiry fixed) '.repeat(2000));
      writeFileSync(join(root, 'fixed', 'lib', 'token-cache.jar'), 'new helper '.repeat(500));
      rmSync(join(root, 'fixed', 'lib', 'module-7.jar'));
      out.line(c.dim('\nA sample product pack is in pack/, and a copy with a fix is in fixed/.'));
      const steps: [string, string[]][] = [
        ['1. The vendor makes a signing key', ['keygen', '--out', 'vendor']],
        [
          '2. ... and a hotfix archive from the two trees',
          [
            'diff',
            'pack',
            'fixed',
            '-o',
            'HF-1.0.0-0-0001.zip',
            '--product',
            'demo',
            '--version',
            '1.0.0',
            '--level',
            '0',
            '--id',
            'HF-1.0.0-0-0001',
            '--title',
            'Fix token expiry',
            '--severity',
            'S1',
            '--sign',
            'vendor.key',
          ],
        ],
        ['3. Anyone can look inside', ['inspect', 'HF-1.0.0-0-0001.zip']],
        [
          '4. The customer adopts the installed pack',
          ['init', '--home', 'pack', '--product', 'demo', '--version', '1.0.0', '--level', '0'],
        ],
        ['5. ... trusts the vendor key', ['trust', 'add', 'vendor.pub', '--home', 'pack']],
        [
          '6. ... and applies the hotfix (atomic; refused if files were changed locally)',
          ['apply', 'HF-1.0.0-0-0001.zip', '--home', 'pack'],
        ],
        ['7. What is installed now (WSO2: current-state)', ['state', '--home', 'pack']],
        ['8. Every file matches what hfx recorded', ['verify', '--home', 'pack']],
        ['9. Back to the original pack', ['revert', '--home', 'pack']],
        ['10. ... exactly as it was', ['verify', '--home', 'pack']],
      ];
      for (const [text, argv] of steps) {
        const code = await step(text, argv);
        if (code !== 0) return code;
      }
      out.line(
        `\n${c.green('Done.')} Next: \`node bin/hfx.js --help\` in the repository, docs/getting-started.md, and \`npm test\`.`,
      );
      return 0;
    } finally {
      if (values.keep) out.line(c.dim(`(kept ${root})`));
      else rmSync(root, { recursive: true, force: true });
    }
  },
});
