import { currentLogin } from '../../../client/config.js';
import { userRemote } from '../../../client/environments.js';
import { call } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import type { RolloutView } from '../../../server/rollouts/service.js';
import { duration, exactArgs, int, type Command } from '../../command.js';
import type { Output } from '../../output.js';

const SUBS = 'start ARCHIVE-ID [--customer C | --env PRODUCT/ENV] --steps 1,10,50,100 [--every 2h | --manual] [--max-failure-rate 5%] [--min-sample 20] | list [--archive ID] | show ID | pause|resume|advance|abort ID [--reason TEXT]';

/** 5%, 0.05 and 5 all mean five per cent. */
function rate(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(%?)$/.exec(v.trim()) : null;
  const n = m ? Number(m[1]) : NaN;
  const r = m && (m[2] === '%' || n > 1) ? n / 100 : n;
  if (!(r >= 0 && r <= 1)) throw new HfxError('HFX_E_USAGE', `--max-failure-rate is a share such as 5%, not ${JSON.stringify(v)}`);
  return r;
}

function steps(v: unknown): number[] {
  const parts = typeof v === 'string' ? v.split(',').map((x) => Number(x.trim().replace(/%$/, ''))) : [];
  if (!parts.length || parts.some((x) => !Number.isFinite(x))) throw new HfxError('HFX_E_USAGE', '--steps is a list of percentages such as 1,10,50,100');
  return parts;
}

function print(out: Output, r: RolloutView): void {
  const c = out.c;
  const colour = r.state === 'active' ? c.green : r.state === 'paused' || r.state === 'aborted' ? c.red : c.dim;
  const scope = r.scope.customer ? `customer ${r.scope.customer}` : r.scope.env ? r.scope.env : 'everyone who may take it';
  out.line(`${String(r.id).padStart(5)}  ${c.bold(r.archive)} → ${scope}: ${colour(r.state)} at ${r.percent}% (step ${r.step + 1} of ${r.steps.length}: ${r.steps.join(', ')})`);
  out.line(`       ${r.applied} applied, ${r.reverted} reverted (${(r.failureRate * 100).toFixed(1)}%; pauses above ${(r.maxFailureRate * 100).toFixed(1)}% after ${r.minSample})`
    + `${r.everySeconds ? `; next step every ${r.everySeconds} s` : '; advanced by hand'}${r.reason ? `; ${r.reason}` : ''}`);
}

export const rolloutCommand: Command = {
  name: 'rollout',
  summary: 'staged rollouts: a fix offered to 1%, 10%, 50%, 100% of a scope, pausing by itself when installations revert it',
  usage: `hfx rollout ${SUBS} [--server URL]`,
  details: [
    '`start` offers an archive on the server (pushed before) to a growing share of a scope: the customer`s installations (--customer), '
      + 'an environment`s (--env PRODUCT/ENV), or every installation that may take it. Installations are drawn by a stable number from the '
      + 'rollout`s signed seed and their own id, so one that is in stays in as the share grows. --every 2h moves to the next step by itself; '
      + '--manual (the default without --every) waits for `advance`.',
    'A rollout pauses by itself once the share of installations that took the fix and reverted it (a failed health check reverts) passes '
      + '--max-failure-rate (default 5%) after --min-sample installations (default 20); the pause is announced as rollout.paused. A paused '
      + 'rollout offers the fix to nobody new; `resume` goes on, `abort` withdraws it, and installations that have it are told by `hfx check`.',
    'Release managers start and change rollouts; see docs/rollouts.md.',
  ].join('\n\n'),
  examples: [
    '$ hfx rollout start HF-4.2.0-12-0007 --customer acme --steps 1,10,50,100 --every 2h',
    '$ hfx rollout start UPD-4.2.0-13 --env wso2am/Production --steps 10,100 --manual --max-failure-rate 2% --min-sample 5',
    '$ hfx rollout list',
    '$ hfx rollout advance 3',
    '$ hfx rollout abort 3 --reason "memory leak under load"',
  ],
  options: {
    customer: { type: 'string' }, env: { type: 'string' }, steps: { type: 'string' }, every: { type: 'string' }, manual: { type: 'boolean' },
    'max-failure-rate': { type: 'string' }, 'min-sample': { type: 'string' }, archive: { type: 'string' }, reason: { type: 'string' }, server: { type: 'string' },
  },
  async run({ values: v, positionals }, ctx) {
    const { out } = ctx;
    const [sub, ...rest] = positionals;
    const known = ['start', 'list', 'show', 'pause', 'resume', 'advance', 'abort'];
    if (!sub || !known.includes(sub)) throw new HfxError('HFX_E_USAGE', sub ? `unknown subcommand ${sub}` : 'give a subcommand', { hint: `hfx rollout ${SUBS}` });
    const remote = userRemote(currentLogin(ctx.io.env, v['server'] as string | undefined));
    const idOf = (usage: string) => {
      const [id] = exactArgs(rest, 1, 'rollout', usage);
      if (!/^[1-9]\d{0,9}$/.test(id!)) throw new HfxError('HFX_E_USAGE', `a rollout id is a number (see \`hfx rollout list\`), not ${JSON.stringify(id)}`);
      return id!;
    };
    switch (sub) {
      case 'start': {
        const [archive] = exactArgs(rest, 1, 'rollout', 'start ARCHIVE-ID --steps …');
        if (v['every'] !== undefined && v['manual']) throw new HfxError('HFX_E_USAGE', 'give --every or --manual, not both');
        const body = {
          archive, steps: steps(v['steps']), ...(typeof v['customer'] === 'string' ? { customer: v['customer'] } : {}), ...(typeof v['env'] === 'string' ? { env: v['env'] } : {}),
          ...(v['every'] !== undefined ? { everySeconds: Math.round(duration(v['every'], 'every') / 1000) } : {}),
          ...(v['max-failure-rate'] !== undefined ? { maxFailureRate: rate(v['max-failure-rate']) } : {}),
          ...(v['min-sample'] !== undefined ? { minSample: int(v['min-sample'], 'min-sample') } : {}),
        };
        const r = await call<RolloutView>(remote, 'POST', '/v1/rollouts', body);
        out.result(r);
        out.line(`${out.c.green('✓')} rollout ${r.id} started`);
        print(out, r);
        return 0;
      }
      case 'list': {
        exactArgs(rest, 0, 'rollout', 'list [--archive ID]');
        const r = await call<{ rollouts: RolloutView[] }>(remote, 'GET', `/v1/rollouts${typeof v['archive'] === 'string' ? `?archive=${encodeURIComponent(v['archive'])}` : ''}`);
        out.result(r);
        if (r.rollouts.length === 0) out.line('no rollouts');
        for (const x of r.rollouts) print(out, x);
        return 0;
      }
      case 'show': {
        const r = await call<RolloutView>(remote, 'GET', `/v1/rollouts/${idOf('show ID')}`);
        out.result(r);
        print(out, r);
        return 0;
      }
      default: {
        const id = idOf(`${sub} ID [--reason TEXT]`);
        const r = await call<RolloutView>(remote, 'POST', `/v1/rollouts/${id}/${sub}`, typeof v['reason'] === 'string' ? { reason: v['reason'] } : {});
        out.result(r);
        print(out, r);
        return 0;
      }
    }
  },
};
