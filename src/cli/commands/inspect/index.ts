import { inspectArchive } from '../../../engine/index.js';
import { HfxError } from '../../../errors.js';
import { fmtBytes } from '../../output.js';
import { HOME, defineCommand } from '../../command.js';

export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: "show an archive's manifest, signatures and file list",
  usage: 'hfx inspect FILE.zip [--home DIR] [--json]',
  details:
    'The archive is fully validated (structure, paths, schema). With --home it also says whether that installation trusts the signature.',
  examples: ['$ hfx inspect HF-0007.zip', '$ hfx inspect HF-0007.zip --home /opt/wso2am --json | jq .manifest.entries'],
  options: { ...HOME },
  args: ['FILE.zip'],
  async run({ values, args: [zip] }, { out, path }) {
    const r = await inspectArchive(path(zip), values.home !== undefined ? path(values.home) : undefined);
    out.result(r);
    const m = r.manifest;
    const c = out.c;
    out.line(`${c.bold(m.id)} — ${m.title}`);
    out.line(
      `  kind ${m.kind}, severity ${m.severity}${m.incident ? `, incident ${m.incident}` : ''}${m.customer ? `, customer ${m.customer}` : ''}`,
    );
    out.line(
      `  for ${m.product} ${m.release} at update level ${m.level}${m.toLevel !== null ? ` → ${m.toLevel}` : ''}${m.security ? ' (security)' : ''}`,
    );
    if (m.requires.length) out.line(`  requires ${m.requires.join(', ')}`);
    if (m.supersedes.length) out.line(`  supersedes ${m.supersedes.join(', ')}`);
    if (m.includes.length) out.line(`  includes ${m.includes.join(', ')}`);
    out.line(`  created ${m.createdAt}, digest ${r.digest.slice(0, 16)}`);
    out.line(
      `  signatures: ${r.signatures.length ? r.signatures.map((s) => s.keyid.slice(0, 16)).join(', ') : c.yellow('none')}`,
    );
    if (r.trust)
      out.line(
        `  trust: ${r.trust.ok ? c.green(`trusted (${r.trust.keyid?.slice(0, 16) ?? 'unsigned'})`) : c.red(r.trust.error ?? 'no')}`,
      );
    if (m.description) out.line(`\n${m.description}\n`);
    out.line(`  ${m.entries.length} entries, ${fmtBytes(r.payloadBytes)} payload:`);
    for (const e of m.entries) {
      const mark = e.op === 'add' ? c.green('A') : e.op === 'delete' ? c.red('D') : c.yellow('M');
      const a = e.after ?? e.before;
      // The manifest schema gives every entry one or both.
      if (!a) throw new HfxError('HFX_E_MANIFEST', `entry ${e.path} has neither a before nor an after`);
      const what =
        a.type === 'file' ? `${a.mode} ${fmtBytes(a.size)}` : a.type === 'symlink' ? `-> ${a.target}` : `dir ${a.mode}`;
      out.line(`  ${mark} ${e.path}  ${c.dim(what)}`);
    }
    return 0;
  },
});
