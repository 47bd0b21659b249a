import { HfxError } from '../../../errors.js';
import { buildImage } from '../../../image/image.js';
import { fmtBytes } from '../../output.js';
import { HOME, defineCommand } from '../../command.js';

const isStrings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');

/** "a b" → ["a","b"]; a JSON array is taken as it is. */
function argv(v: string | undefined, flag: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (v.trim().startsWith('[')) {
    try {
      const a: unknown = JSON.parse(v);
      if (isStrings(a)) return a;
    } catch {
      // fall through
    }
    throw new HfxError('HFX_E_USAGE', `--${flag} must be a JSON array of strings or words separated by spaces`);
  }
  return v.split(/\s+/).filter(Boolean);
}

export const imageCommand = defineCommand({
  name: 'image',
  aliases: ['create-docker'],
  summary: 'build a reproducible OCI image of the installation (pack layer + one layer per hotfix), without Docker',
  usage:
    'hfx image [--home DIR] [--tag REF] [--base REF | --base-layout DIR] [--prefix /opt/P] (--oci DIR | --docker-archive FILE | --push) [flags]',
  details: [
    'Layers: the pack at its release and level (baseline + updates), then one thin layer per applied hotfix',
    '(files it adds or changes; files it deletes as .wh. whiteouts), under --prefix (default /opt/<product>).',
    'Every file is read from the pack and checked against its recorded sha256 (HFX_E_DRIFT if not).',
    'Layers are cached by content in .hfx/image-cache/ (or --cache DIR): adding a hotfix builds only its layer.',
    'Same installation, same digests: timestamps are SOURCE_DATE_EPOCH (else 0), owners 0, entries sorted.',
    '',
    '  --tag REF            [HOST[:PORT]/]NAME:TAG; default {product}:{version}.{level}[-HOTFIX-IDS]',
    '  --oci DIR            write an OCI image layout (adds the tag to an existing one)',
    '  --docker-archive F   write a `docker load` tarball',
    '  --push               push to the registry named in --tag (HEAD each blob; upload only missing ones)',
    '  --base REF           a base image from a registry; --base-layout DIR from an OCI layout; default scratch',
    '  --entrypoint, --cmd  words, or a JSON array; --env K=V (repeatable); --user; --workdir (default the prefix)',
    '  --label K=V          extra labels (repeatable)',
    '  --username, --password  registry login (else HFX_REGISTRY_USER / HFX_REGISTRY_PASSWORD); basic or bearer',
    '  --insecure           plain http for a registry other than localhost/127.x',
    '  --cache DIR          layer cache (default .hfx/image-cache)',
  ].join('\n'),
  examples: [
    '$ hfx image --home /opt/wso2am --oci ./wso2am-oci          # OCI layout, tag wso2am:4.2.0.12-HF-1',
    '$ hfx image --tag 127.0.0.1:5000/wso2am:4.2.0.12 --push    # push; only missing layers are uploaded',
    '$ hfx create-docker --docker-archive am.tar && docker load -i am.tar',
    '$ hfx image --base-layout ./jre-oci --entrypoint "/opt/wso2am/bin/api-manager.sh" --oci out',
  ],
  options: {
    ...HOME,
    tag: { type: 'string' },
    base: { type: 'string' },
    'base-layout': { type: 'string' },
    prefix: { type: 'string' },
    oci: { type: 'string' },
    'docker-archive': { type: 'string' },
    push: { type: 'boolean' },
    squash: { type: 'boolean' },
    entrypoint: { type: 'string' },
    cmd: { type: 'string' },
    env: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    user: { type: 'string' },
    workdir: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    insecure: { type: 'boolean' },
    cache: { type: 'string' },
  },
  args: [],
  async run({ values }, { out, home, path, io }) {
    const labels: Record<string, string> = {};
    for (const kv of values.label ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new HfxError('HFX_E_USAGE', `--label ${kv}: expected KEY=VALUE`);
      labels[kv.slice(0, i)] = kv.slice(i + 1);
    }
    for (const kv of values.env ?? [])
      if (kv.indexOf('=') <= 0) throw new HfxError('HFX_E_USAGE', `--env ${kv}: expected NAME=VALUE`);
    const user = values.username ?? io.env.HFX_REGISTRY_USER;
    const pass = values.password ?? io.env.HFX_REGISTRY_PASSWORD;
    const sde = io.env.SOURCE_DATE_EPOCH;
    if (sde !== undefined && sde !== '' && !/^\d+$/.test(sde))
      throw new HfxError('HFX_E_USAGE', `SOURCE_DATE_EPOCH must be whole seconds, not ${JSON.stringify(sde)}`);
    const p = (v: string | undefined): string | undefined => (v !== undefined ? path(v) : undefined);
    const r = await buildImage({
      home: home(values.home),
      tag: values.tag,
      prefix: values.prefix,
      base: values.base,
      baseLayout: p(values['base-layout']),
      oci: p(values.oci),
      dockerArchive: p(values['docker-archive']),
      push: !!values.push,
      squash: !!values.squash,
      cacheDir: p(values.cache),
      entrypoint: argv(values.entrypoint, 'entrypoint'),
      cmd: argv(values.cmd, 'cmd'),
      env: values.env,
      user: values.user,
      workdir: values.workdir,
      labels,
      creds: user !== undefined && pass !== undefined ? { username: user, password: pass } : null,
      insecure: !!values.insecure,
      epoch: sde ? Number(sde) : 0,
      onLayer: (b) =>
        out.line(
          `  ${b.cached ? out.c.dim('cached') : out.c.green('built ')} ${b.digest.slice(0, 19)} ${fmtBytes(b.size).padStart(9)}  ${b.what}`,
        ),
    });
    out.result(r);
    out.line(`${out.c.green('✓')} ${r.reference}  ${r.manifestDigest}`);
    for (const o of r.outputs) out.line(`  → ${o}`);
    if (r.push)
      out.line(
        `  pushed ${r.push.blobsUploaded} blob(s), ${fmtBytes(r.push.bytesUploaded)}; ${r.push.blobsSkipped} already there, ${r.push.blobsMounted} mounted`,
      );
    return 0;
  },
});
