import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import { defineCommandWithSubcommands, duration, flags, int, subcommandsOf } from '../../command.js';
import { remoteOf } from '../../server-remote.js';
import type { Output } from '../../output.js';
import type { RolloutView } from '../../../wire/rollouts.js';

const ROLLOUT_FLAGS = flags({
  customer: { type: 'string' },
  env: { type: 'string' },
  steps: { type: 'string' },
  every: { type: 'string' },
  manual: { type: 'boolean' },
  'max-failure-rate': { type: 'string' },
  'min-sample': { type: 'string' },
  archive: { type: 'string' },
  reason: { type: 'string' },
  server: { type: 'string' },
});
const subcommand = subcommandsOf<typeof ROLLOUT_FLAGS>();

function rolloutId(id: string): string {
  if (!/^[1-9]\d{0,9}$/.test(id))
    throw new HfxError('HFX_E_USAGE', `a rollout id is a number (see \`hfx rollout list\`), not ${JSON.stringify(id)}`);
  return id;
}

/** 5%, 0.05 and 5 all mean five per cent. */
function rate(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(v.trim());
  const n = m ? Number(m[1]) : NaN;
  const r = m && (m[2] === '%' || n > 1) ? n / 100 : n;
  if (!(r >= 0 && r <= 1))
    throw new HfxError('HFX_E_USAGE', `--max-failure-rate is a share such as 5%, not ${JSON.stringify(v)}`);
  return r;
}

function steps(v: string | undefined): number[] {
  const parts = v !== undefined ? v.split(',').map((x) => Number(x.trim().replace(/%$/, ''))) : [];
  if (!parts.length || parts.some((x) => !Number.isFinite(x)))
    throw new HfxError('HFX_E_USAGE', '--steps is a list of percentages such as 1,10,50,100');
  return parts;
}

function print(out: Output, r: RolloutView): void {
  const c = out.c;
  const colour = r.state === 'active' ? c.green : r.state === 'paused' || r.state === 'aborted' ? c.red : c.dim;
  const scope = r.scope.customer ? `customer ${r.scope.customer}` : (r.scope.env ?? 'everyone who may take it');
  out.line(
    `${String(r.id).padStart(5)}  ${c.bold(r.archive)} → ${scope}: ${colour(r.state)} at ${r.percent}% (step ${r.step + 1} of ${r.steps.length}: ${r.steps.join(', ')})`,
  );
  out.line(
    `       ${r.applied} applied, ${r.reverted} reverted (${(r.failureRate * 100).toFixed(1)}%; pauses above ${(r.maxFailureRate * 100).toFixed(1)}% after ${r.minSample})` +
      `${r.everySeconds ? `; next step every ${r.everySeconds} s` : '; advanced by hand'}${r.reason ? `; ${r.reason}` : ''}`,
  );
}

const start = subcommand({
  name: 'start',
  summary: 'offer an archive (pushed before) to a growing share of a scope, step by step',
  args: ['ARCHIVE-ID'],
  usage:
    'ARCHIVE-ID [--customer C | --env PRODUCT/ENV] --steps 1,10,50,100 [--every 2h | --manual] [--max-failure-rate 5%] [--min-sample 20]',
  async run({ values: v, args: [archive] }, ctx) {
    const { out } = ctx;
    const remote = remoteOf(ctx, v);
    if (v.every !== undefined && v.manual) throw new HfxError('HFX_E_USAGE', 'give --every or --manual, not both');
    const body = {
      archive,
      steps: steps(v.steps),
      ...(v.customer !== undefined ? { customer: v.customer } : {}),
      ...(v.env !== undefined ? { env: v.env } : {}),
      ...(v.every !== undefined ? { everySeconds: Math.round(duration(v.every, 'every') / 1000) } : {}),
      ...(v['max-failure-rate'] !== undefined ? { maxFailureRate: rate(v['max-failure-rate']) } : {}),
      ...(v['min-sample'] !== undefined ? { minSample: int(v['min-sample'], 'min-sample') } : {}),
    };
    const r = await call<RolloutView>(remote, 'POST', '/v1/rollouts', body);
    out.result(r);
    out.line(`${out.c.green('✓')} rollout ${r.id} started`);
    print(out, r);
    return 0;
  },
});

const list = subcommand({
  name: 'list',
  summary: 'the rollouts, of one archive with --archive',
  usage: '[--archive ID]',
  async run({ values: v }, ctx) {
    const { out } = ctx;
    const r = await call<{ rollouts: RolloutView[] }>(
      remoteOf(ctx, v),
      'GET',
      `/v1/rollouts${v.archive !== undefined ? `?archive=${encodeURIComponent(v.archive)}` : ''}`,
    );
    out.result(r);
    if (r.rollouts.length === 0) out.line('no rollouts');
    for (const x of r.rollouts) print(out, x);
    return 0;
  },
});

const show = subcommand({
  name: 'show',
  summary: 'one rollout: its scope, step, share, and how many installations applied and reverted it',
  args: ['ID'],
  examples: ['$ hfx rollout show 3 --json'],
  async run({ values: v, args: [id] }, ctx) {
    const remote = remoteOf(ctx, v);
    const r = await call<RolloutView>(remote, 'GET', `/v1/rollouts/${rolloutId(id)}`);
    ctx.out.result(r);
    print(ctx.out, r);
    return 0;
  },
});

const CHANGES = {
  pause: {
    summary: 'offer the fix to nobody new',
    examples: ['$ hfx rollout pause 3 --reason "support is short-staffed this weekend"'],
  },
  resume: { summary: 'go on with a paused rollout', examples: ['$ hfx rollout resume 3'] },
  advance: { summary: 'move to the next step now', examples: [] },
  abort: { summary: 'withdraw the fix: installations that have it are told by `hfx check`', examples: [] },
} satisfies Record<string, { summary: string; examples: string[] }>;

/** pause, resume, advance and abort: the same request to another action. */
const change = (action: keyof typeof CHANGES) =>
  subcommand({
    name: action,
    summary: CHANGES[action].summary,
    // advance and abort have theirs among the command's examples.
    examples: CHANGES[action].examples,
    args: ['ID'],
    usage: 'ID [--reason TEXT]',
    async run({ values: v, args: [id] }, ctx) {
      const remote = remoteOf(ctx, v);
      const r = await call<RolloutView>(
        remote,
        'POST',
        `/v1/rollouts/${rolloutId(id)}/${action}`,
        v.reason !== undefined ? { reason: v.reason } : {},
      );
      ctx.out.result(r);
      print(ctx.out, r);
      return 0;
    },
  });

export const rolloutCommand = defineCommandWithSubcommands({
  name: 'rollout',
  summary:
    'staged rollouts: a fix offered to 1%, 10%, 50%, 100% of a scope, pausing by itself when installations revert it',
  usage:
    'hfx rollout start ARCHIVE-ID [--customer C | --env PRODUCT/ENV] --steps 1,10,50,100 [--every 2h | --manual] [--max-failure-rate 5%] [--min-sample 20] | list [--archive ID] | show ID | pause|resume|advance|abort ID [--reason TEXT] [--server URL]',
  details: [
    '`start` offers an archive on the server (pushed before) to a growing share of a scope: the customer`s installations (--customer), ' +
      'an environment`s (--env PRODUCT/ENV), or every installation that may take it. Installations are drawn by a stable number from the ' +
      'rollout`s signed seed and their own id, so one that is in stays in as the share grows. --every 2h moves to the next step by itself; ' +
      '--manual (the default without --every) waits for `advance`.',
    'A rollout pauses by itself once the share of installations that took the fix and reverted it (a failed health check reverts) passes ' +
      '--max-failure-rate (default 5%) after --min-sample installations (default 20); the pause is announced as rollout.paused. A paused ' +
      'rollout offers the fix to nobody new; `resume` goes on, `abort` withdraws it, and installations that have it are told by `hfx check`.',
    'Release managers start and change rollouts; see docs/rollouts.md.',
  ].join('\n\n'),
  examples: [
    '$ hfx rollout start HF-4.2.0-12-0007 --customer acme --steps 1,10,50,100 --every 2h',
    '$ hfx rollout start UPD-4.2.0-13 --env wso2am/Production --steps 10,100 --manual --max-failure-rate 2% --min-sample 5',
    '$ hfx rollout list',
    '$ hfx rollout advance 3',
    '$ hfx rollout abort 3 --reason "memory leak under load"',
  ],
  options: ROLLOUT_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: [start, list, show, change('pause'), change('resume'), change('advance'), change('abort')],
});
