import { reportEnvironment } from '../../../client/environments.js';
import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import { defineCommandWithSubcommands, duration, flags, subcommandsOf, synopsis, type Ctx } from '../../command.js';
import { remoteOf } from '../../server-remote.js';

interface HotfixView {
  id: string;
  state: string;
  red: boolean;
  missingIn: string[];
}
interface EnvView {
  name: string;
  installations: { assigned: number; reported: number };
  release: string | null;
  level: number | null;
  version: string | null;
  untagged: boolean;
  red: boolean;
  consistent: boolean;
  packHash: string | null;
  hotfixes: HotfixView[];
}

const enc = encodeURIComponent;

const ENV_FLAGS = flags({
  server: { type: 'string' },
  home: { type: 'string' },
  soak: { type: 'string' },
  freeze: { type: 'string', multiple: true },
  clear: { type: 'boolean' },
});
const subcommand = subcommandsOf<typeof ENV_FLAGS>();

function envLine(ctx: Ctx, e: EnvView): string {
  const { c } = ctx.out;
  const version =
    e.version === null
      ? c.dim('(nothing reported)')
      : e.red
        ? c.red(e.version)
        : e.untagged
          ? c.yellow(e.version)
          : e.version;
  const hf = e.hotfixes
    .map((h) => (h.red ? c.red(`${h.id}+`) : h.state === 'deployed' ? c.dim(`${h.id} (deployed)`) : h.id))
    .join(', ');
  return `${e.name.padEnd(16)} ${version}${e.level !== null ? ` level ${e.level}` : ''}  ${c.dim(`${e.installations.reported}/${e.installations.assigned} reported`)}${e.consistent ? '' : c.red(' (installations differ)')}${hf ? `  ${hf}` : ''}`;
}

const list = subcommand({
  name: 'list',
  summary: "the product's environments in pipeline order, with what each runs",
  args: ['PRODUCT'],
  async run({ values, args: [product] }, ctx) {
    const r = await call<{ environments: EnvView[] }>(remoteOf(ctx, values), 'GET', `/v1/environments/${enc(product)}`);
    ctx.out.result(r);
    for (const e of r.environments) ctx.out.line(envLine(ctx, e));
    return 0;
  },
});

const show = subcommand({
  name: 'show',
  summary: 'one environment: what it runs, its gates, installations and deployments',
  args: ['PRODUCT', 'ENV'],
  async run({ values, args: [product, env] }, ctx) {
    const { out } = ctx;
    const r = await call<
      EnvView & {
        gates: { soakSeconds: number | null; freeze: string[] };
        installationList: { id: string; name: string; report: { packHash: string } | null }[];
        deployments: {
          id: number;
          kind: string;
          archive_id: string | null;
          level: number | null;
          tag: string | null;
          commit: string | null;
          approval: string | null;
          actor: string;
        }[];
      }
    >(remoteOf(ctx, values), 'GET', `/v1/environments/${enc(product)}/${enc(env)}`);
    out.result(r);
    out.line(envLine(ctx, r));
    for (const h of r.hotfixes) if (h.red) out.line(`  ${out.c.red(h.id)} not propagated to ${h.missingIn.join(', ')}`);
    if (r.gates.soakSeconds !== null || r.gates.freeze.length)
      out.line(
        `gates: ${r.gates.soakSeconds !== null ? `soak ${r.gates.soakSeconds} s` : 'no soak'}${r.gates.freeze.length ? `; frozen ${r.gates.freeze.join('; ')}` : ''}`,
      );
    out.line('installations:');
    for (const i of r.installationList)
      out.line(
        `  ${i.name} ${out.c.dim(i.id)} ${i.report ? `pack ${i.report.packHash.slice(0, 12)}` : out.c.dim('no content report')}`,
      );
    out.line('deployments:');
    for (const d of r.deployments) {
      const what = d.archive_id ?? `level ${d.level ?? '?'}`;
      const tag = d.tag ? ` tag ${d.tag}` : '';
      const commit = d.commit ? ` commit ${d.commit}` : '';
      const approval = d.approval ? ` approved: ${d.approval}` : '';
      out.line(`  #${d.id} ${d.kind} ${what}${tag}${commit}${approval} by ${d.actor}`);
    }
    return 0;
  },
});

const compare = subcommand({
  name: 'compare',
  summary: 'the hotfixes and files that differ between two environments',
  args: ['PRODUCT', 'A', 'B'],
  async run({ values, args: [product, a, b] }, ctx) {
    const { out } = ctx;
    const r = await call<{
      same: boolean;
      hotfixes: { id: string; a: string | null; b: string | null; same: boolean }[];
      files: { path: string; a: string | null; b: string | null; same: boolean }[];
      unknown: string[];
    }>(remoteOf(ctx, values), 'GET', `/v1/environments/${enc(product)}/compare?a=${enc(a)}&b=${enc(b)}`);
    out.result(r);
    if (r.same) out.line(`${out.c.green('=')} ${a} and ${b} run the same content`);
    for (const h of r.hotfixes.filter((x) => !x.same))
      out.line(
        h.a === null
          ? out.c.green(`> ${h.id}`)
          : h.b === null
            ? out.c.red(`< ${h.id}`)
            : out.c.yellow(`~ ${h.id} (different content)`),
      );
    const short = (x: string | null): string => (x === null ? '(absent)' : x.length === 64 ? x.slice(0, 12) : x);
    for (const f of r.files.filter((x) => !x.same)) out.line(`  ${f.path}: ${short(f.a)} ≠ ${short(f.b)}`);
    if (r.unknown.length) out.warn(`no archive for ${r.unknown.join(', ')}: their files are not compared`);
    return 0;
  },
});

const pipeline = subcommand({
  name: 'pipeline',
  summary: "set the product's environments, in order",
  args: ['PRODUCT', 'ENV,ENV,…'],
  async run({ values, args: [product, envs] }, ctx) {
    const { out } = ctx;
    const r = await call<{ environments: string[] }>(
      remoteOf(ctx, values),
      'PUT',
      `/v1/environments/${enc(product)}/pipeline`,
      {
        environments: envs
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      },
    );
    out.result(r);
    out.line(`${out.c.green('✓')} ${product}: ${r.environments.join(' → ')}`);
    return 0;
  },
});

const gates = subcommand({
  name: 'gates',
  summary: 'what a deployment to ENV must pass: a soak in the environment before, freeze windows',
  args: ['PRODUCT', 'ENV'],
  usage: 'PRODUCT ENV [--soak 24h] [--freeze WINDOW]… [--clear]',
  async run({ values: v, args: [product, env] }, ctx) {
    const { out } = ctx;
    if (v.clear && (v.soak !== undefined || v.freeze !== undefined))
      throw new HfxError('HFX_E_USAGE', '--clear takes no --soak or --freeze');
    const body = v.clear
      ? { soakSeconds: null, freeze: [] }
      : {
          soakSeconds: v.soak !== undefined ? Math.round(duration(v.soak, 'soak') / 1000) : null,
          freeze: v.freeze ?? [],
        };
    const r = await call<{ soakSeconds: number | null; freeze: string[] }>(
      remoteOf(ctx, v),
      'PUT',
      `/v1/environments/${enc(product)}/${enc(env)}/gates`,
      body,
    );
    out.result(r);
    out.line(
      `${out.c.green('✓')} ${product}/${env}: ${r.soakSeconds !== null ? `soak ${r.soakSeconds} s in the environment before` : 'no soak'}; ${r.freeze.length ? `frozen ${r.freeze.join('; ')}` : 'no freeze windows'}`,
    );
    return 0;
  },
});

const assign = subcommand({
  name: 'assign',
  summary: 'put an installation in an environment',
  args: ['PRODUCT', 'ENV', 'INSTALLATION'],
  async run({ values, args: [product, env, inst] }, ctx) {
    const { out } = ctx;
    const r = await call<{ environment: string; before: string | null }>(
      remoteOf(ctx, values),
      'POST',
      `/v1/environments/${enc(product)}/${enc(env)}/installations`,
      { installation: inst },
    );
    out.result(r);
    out.line(
      `${out.c.green('✓')} ${inst} is in ${r.environment}${r.before && r.before !== r.environment ? ` (was ${r.before})` : ''}`,
    );
    return 0;
  },
});

const presence = subcommand({
  name: 'presence',
  summary: "where a hotfix's fix verifiably is, by content",
  args: ['PRODUCT', 'HOTFIX'],
  async run({ values, args: [product, id] }, ctx) {
    const { out } = ctx;
    const r = await call<{
      everywhere: boolean;
      environments: { name: string; present: boolean; how: string | null }[];
    }>(remoteOf(ctx, values), 'GET', `/v1/environments/${enc(product)}/hotfixes/${enc(id)}/presence`);
    out.result(r);
    for (const e of r.environments)
      out.line(`${e.present ? out.c.green('✓') : out.c.red('✗')} ${e.name}${e.how ? ` (${e.how})` : ''}`);
    out.line(
      r.everywhere ? `${id} is present everywhere: it can be marked solved` : `${id} is not yet present everywhere`,
    );
    return 0;
  },
});

const report = subcommand({
  name: 'report',
  summary: "send what the installation runs (its content, by hash) to its server's environment view",
  helpUsage: '[--home DIR]',
  details: 'Run on the installation, after `hfx state --report`; it goes to the server the installation is linked to.',
  async run({ values }, ctx) {
    const { out } = ctx;
    const r = await reportEnvironment(ctx.home(values.home));
    out.result(r);
    out.line(
      `${out.c.green('✓')} reported ${r.release} level ${r.level}, ${r.hotfixes.length} hotfix(es), pack ${r.packHash.slice(0, 12)}${r.environment ? ` (environment ${r.environment})` : ' (not assigned to an environment)'}`,
    );
    return 0;
  },
});

const SUBCOMMANDS = [list, show, compare, pipeline, gates, assign, presence, report];

export const envCommand = defineCommandWithSubcommands({
  name: 'env',
  summary: 'environments of a product: the pipeline, what runs where, compare, assign installations',
  usage: `hfx env ${synopsis(SUBCOMMANDS)} [--server URL]`,
  details: [
    'Each product has an ordered pipeline (default Development, QA, Pre-Production, Production). An environment runs what its installations report (`hfx env report --home DIR` after `hfx state --report`).',
    'A version followed by + has changes made since it was tagged; a hotfix shown red (with +) is in an environment but not yet in every earlier one: propagate it (`hfx propagate`).',
    "`compare` shows the hotfixes and the files (from the archives' manifests) that differ between two environments. `presence` tells where a hotfix's fix verifiably is, by content.",
    '`gates` sets what a deployment to ENV must pass (release manager): --soak T, how long a hotfix must have been in the environment before with no revert and no recurrence there; ' +
      '--freeze WINDOW (repeatable), when no deployment goes: weekly "Fri 18:00-Mon 08:00" or dated "2026-12-24T00:00Z/2026-12-27T00:00Z", in UTC; --clear removes both. ' +
      'A deployment past a gate needs `hfx deploy … --approve "REASON"` by a release manager, audited.',
  ].join('\n\n'),
  examples: [
    '$ hfx env list ecommerce',
    '$ hfx env show ecommerce Pre-Production',
    '$ hfx env compare ecommerce Pre-Production QA',
    '$ hfx env pipeline ecommerce Development,QA,Pre-Production,Production',
    '$ hfx env gates ecommerce Production --soak 24h --freeze "Fri 18:00-Mon 08:00"',
    '$ hfx env assign ecommerce QA 6f1c…',
    '$ hfx env report --home /opt/ecommerce',
    '$ hfx env presence ecommerce HF-1.7.0-0-0001',
  ],
  options: ENV_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: SUBCOMMANDS,
});
