import { HfxError } from '../../../errors.js';
import { ARCHIVE_KINDS, SEVERITIES, diffTrees } from '../../../engine/index.js';
import { fmtBytes } from '../../output.js';
import { choice, commaList, defineCommand, int, str } from '../../command.js';

export const diffCommand = defineCommand({
  name: 'diff',
  summary: 'make a hotfix (or update) archive from two pack trees',
  usage: 'hfx diff OLD_DIR NEW_DIR -o FILE.zip --product P --version V --level N --id ID --title T [--sign NAME.key]',
  details: `Every difference goes in: files added, changed and removed, mode changes, directories and links.
Flags:
  -o, --out FILE.zip        the archive to write
  --product P --version V --level N   what it applies to (release and update level)
  --id ID --title T         e.g. --id HF-4.2.0-12-0007 --title "Fix token expiry"
  --description TEXT  --severity S1|S2|S3|S4 (default S2)  --incident REF  --customer C
  --requires ID,…  --supersedes ID,…   lineage
  --kind update --from-level N --to-level M [--security] [--includes HF-ID,…]   an update archive
                            (--from-level is --level; --to-level defaults to N+1)
  --sign NAME.key           sign it (else sign later with \`hfx sign\`)
  --compression-level 0-9   deflate level for payload (default 1: fast; 9 for the smallest archive)`,
  examples: [
    '$ hfx diff pack-4.2.0-12/ fixed/ -o HF-0007.zip --product wso2am --version 4.2.0 --level 12 \\',
    '      --id HF-4.2.0-12-0007 --title "Fix token expiry" --severity S1 --sign release.key',
  ],
  options: {
    out: { type: 'string', short: 'o' },
    product: { type: 'string' },
    version: { type: 'string' },
    level: { type: 'string' },
    'from-level': { type: 'string' },
    id: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    severity: { type: 'string' },
    incident: { type: 'string' },
    customer: { type: 'string' },
    requires: { type: 'string', multiple: true },
    supersedes: { type: 'string', multiple: true },
    kind: { type: 'string' },
    'to-level': { type: 'string' },
    security: { type: 'boolean' },
    includes: { type: 'string', multiple: true },
    sign: { type: 'string' },
    'compression-level': { type: 'string' },
  },
  args: ['OLD_DIR', 'NEW_DIR'],
  async run({ values: v, args: [oldDir, newDir] }, { out, path }) {
    const severity = choice(v.severity ?? 'S2', SEVERITIES);
    if (!severity) throw new HfxError('HFX_E_USAGE', '--severity must be S1, S2, S3 or S4');
    const kind = choice(v.kind ?? 'hotfix', ARCHIVE_KINDS);
    if (!kind) throw new HfxError('HFX_E_USAGE', '--kind must be hotfix or update');
    const cl = v['compression-level'] === undefined ? undefined : int(v['compression-level'], 'compression-level');
    if (cl !== undefined && cl > 9) throw new HfxError('HFX_E_USAGE', '--compression-level must be 0 to 9');
    const r = await diffTrees({
      oldDir: path(oldDir),
      newDir: path(newDir),
      out: path(str(v.out, 'out', 'diff')),
      product: str(v.product, 'product', 'diff'),
      version: str(v.version, 'version', 'diff'),
      level: int(v.level ?? v['from-level'], 'level'),
      id: str(v.id, 'id', 'diff'),
      title: str(v.title, 'title', 'diff'),
      description: v.description ?? '',
      severity,
      incident: v.incident ?? null,
      customer: v.customer ?? null,
      requires: commaList(v.requires),
      supersedes: commaList(v.supersedes),
      kind,
      toLevel: v['to-level'] === undefined ? null : int(v['to-level'], 'to-level'),
      security: v.security === true,
      includes: commaList(v.includes),
      ...(v.sign !== undefined ? { signKey: path(v.sign) } : {}),
      ...(cl === undefined ? {} : { compressionLevel: cl }),
      onProgress: out.progress,
    });
    out.result(r);
    out.line(
      `${out.c.green('✓')} ${r.out}: ${r.id} — ${r.added} added, ${r.modified} modified, ${r.deleted} deleted, ${fmtBytes(r.payloadBytes)} payload`,
    );
    out.line(
      r.signed
        ? `  signed by ${r.signed.slice(0, 16)}`
        : out.c.yellow(`  not signed: run \`hfx sign ${r.out} --key NAME.key\``),
    );
    return 0;
  },
});
