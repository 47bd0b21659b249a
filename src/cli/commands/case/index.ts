import { readFileSync, writeFileSync } from 'node:fs';
import { currentLogin } from '../../../client/config.js';
import { call, send } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import {
  defineCommandWithSubcommands,
  flags,
  int,
  str,
  subcommandsOf,
  type Ctx,
  type FlagValues,
  type Subcommand,
} from '../../command.js';
import type { Output } from '../../output.js';
import type { CaseDetail, CaseRow } from '../../../wire/cases.js';

const CASE_FLAGS = flags({
  server: { type: 'string' },
  title: { type: 'string' },
  description: { type: 'string' },
  source: { type: 'string' },
  reporter: { type: 'string' },
  customer: { type: 'string' },
  product: { type: 'string' },
  release: { type: 'string' },
  level: { type: 'string' },
  component: { type: 'string' },
  impact: { type: 'string' },
  'impact-text': { type: 'string' },
  severity: { type: 'string' },
  state: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  reason: { type: 'string' },
  assignee: { type: 'string' },
  team: { type: 'string' },
  'root-cause': { type: 'string' },
  functional: { type: 'string' },
  regression: { type: 'string' },
  hotfix: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  stakeholder: { type: 'string', multiple: true },
  env: { type: 'string' },
  by: { type: 'string' },
  days: { type: 'string' },
  override: { type: 'boolean' },
  update: { type: 'string' },
  priority: { type: 'string' },
  out: { type: 'string', short: 'o' },
});
type CaseFlags = FlagValues<typeof CASE_FLAGS>;
const subcommand = subcommandsOf<typeof CASE_FLAGS>();

const loginFor = (ctx: Ctx, v: CaseFlags) => currentLogin(ctx.io.env, v.server);

/** The case number a subcommand names. */
function caseId(sub: string, id: string): number {
  if (!/^\d+$/.test(id))
    throw new HfxError('HFX_E_USAGE', `hfx case ${sub} needs a case number`, { hint: 'See `hfx case list`.' });
  return Number(id);
}

function shown(out: Output, c: CaseRow, verb: string): number {
  out.result({ case: c });
  out.line(
    `${out.c.green('✓')} ${verb} case #${c.id} (${c.severity}/${c.priority}) ${c.title}: ${out.c.bold(c.state)}`,
  );
  return 0;
}

const create = subcommand({
  name: 'new',
  summary: 'report a case',
  usage:
    '--title T --product P --severity S1..S4 --impact all|many|few|internal [--impact-text T] [--source customer|monitoring|testing] ' +
    '[--reporter R] [--customer C] [--release V] [--level N] [--component C] [--description D]',
  async run({ values: v }, ctx) {
    const login = loginFor(ctx, v);
    const level = v.level === undefined ? undefined : int(v.level, 'level');
    const body = {
      title: str(v.title, 'title', 'case'),
      product: str(v.product, 'product', 'case'),
      severity: str(v.severity, 'severity', 'case'),
      impact: str(v.impact, 'impact', 'case'),
      source: v.source ?? 'customer',
      reporter: v.reporter ?? login.who.split(' ')[0] ?? 'unknown',
      ...(v.description ? { description: v.description } : {}),
      ...(v['impact-text'] ? { impactText: v['impact-text'] } : {}),
      ...(v.customer ? { customer: v.customer } : {}),
      ...(v.release ? { release: v.release } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(v.component ? { component: v.component } : {}),
    };
    return shown(ctx.out, await call<CaseRow>(login, 'POST', '/v1/cases', body), 'reported');
  },
});

const list = subcommand({
  name: 'list',
  summary: 'cases, newest first, a page at a time',
  usage: '[--state S] [--product P] [--customer C] [--limit N] [--before ID]',
  examples: ['$ hfx case list --state in-progress --product apim'],
  async run({ values: v }, ctx) {
    const { out } = ctx;
    const login = loginFor(ctx, v);
    const q = new URLSearchParams();
    for (const k of ['state', 'product', 'customer', 'limit', 'before'] as const) {
      const given = v[k];
      if (given) q.set(k, given);
    }
    const query = q.size ? `?${q.toString()}` : '';
    const r = await call<{ cases: CaseRow[]; next: number | null }>(login, 'GET', `/v1/cases${query}`);
    out.result(r);
    if (!r.cases.length) out.line('no cases');
    for (const c of r.cases)
      out.line(
        `#${String(c.id).padEnd(6)} ${c.severity}/${c.priority}  ${c.state.padEnd(12)} ${c.product}${c.component ? `/${c.component}` : ''}  ${c.title}${c.hotfix_id ? `  [${c.hotfix_id}]` : ''}`,
      );
    if (r.next) out.line(out.c.dim(`more: hfx case list --before ${r.next}`));
    return 0;
  },
});

const show = subcommand({
  name: 'show',
  summary: 'the case, its transitions and notifications',
  args: ['ID'],
  examples: ['$ hfx case show 12 --json'],
  async run({ values: v, args: [idArg] }, ctx) {
    const { out } = ctx;
    const login = loginFor(ctx, v);
    const c = await call<CaseDetail>(login, 'GET', `/v1/cases/${caseId('show', idArg)}`);
    out.result({ case: c });
    out.line(`#${c.id} ${out.c.bold(c.title)}  ${c.severity}/${c.priority}  ${out.c.bold(c.state)}`);
    out.line(
      `  ${c.product}${c.component ? `/${c.component}` : ''}${c.assignee ? `  assignee ${c.assignee}` : ''}${c.team ? `  team ${c.team}` : ''}${c.hotfix_id ? `  hotfix ${c.hotfix_id}` : ''}`,
    );
    for (const t of c.transitions)
      out.line(
        `  ${t.at}  ${t.actor.padEnd(12)} ${t.action.padEnd(9)} → ${t.to_state}${t.reason ? `  (${t.reason})` : ''}`,
      );
    // The server names the target only to release managers and admins: the others see the kind alone.
    for (const n of c.notifications)
      out.line(
        `  notified ${n.kind}${n.target === undefined ? '' : ` ${n.target}`}: ${n.event_id} ${n.delivered_at ? 'delivered' : 'pending'}`,
      );
    return 0;
  },
});

const notes = subcommand({
  name: 'notes',
  summary: 'the release notes of the case, in Markdown',
  args: ['ID'],
  usage: 'ID [-o FILE.md]',
  examples: ['$ hfx case notes 12 -o RELEASE-NOTES.md'],
  async run({ values: v, args: [idArg] }, ctx) {
    const { out, path } = ctx;
    const login = loginFor(ctx, v);
    const res = await send(login, 'GET', `/v1/cases/${caseId('notes', idArg)}/release-notes.md`);
    const md = await res.text();
    if (v.out) {
      writeFileSync(path(v.out), md);
      out.result({ file: path(v.out) });
      out.line(`${out.c.green('✓')} release notes written to ${v.out}`);
    } else if (out.json) out.result({ markdown: md });
    else out.print(md); // neutralised: the notes quote case titles and reasons as people typed them
    return 0;
  },
});

const priority = subcommand({
  name: 'priority',
  summary: 're-prioritise the case, with a reason',
  args: ['ID'],
  usage: 'ID --priority P1..P4 --reason R',
  examples: ['$ hfx case priority 12 --priority P1 --reason "all logins fail"'],
  async run({ values: v, args: [idArg] }, ctx) {
    const login = loginFor(ctx, v);
    const id = caseId('priority', idArg);
    const c = await call<CaseRow>(login, 'POST', `/v1/cases/${id}/priority`, {
      priority: str(v.priority, 'priority', 'case'),
      reason: str(v.reason, 'reason', 'case'),
    });
    return shown(ctx.out, c, 're-prioritised');
  },
});

interface Step {
  usage: string;
  /** How the answer says what was done. */
  verb: string;
  summary: string;
  /** For steps that have none among the command's examples. */
  example?: string;
}

/** The steps of the process (docs/cases.md): each a POST of its name, with what its flags give. */
const STEPS = {
  triage: {
    usage: 'ID [--reason R]',
    verb: 'triaged',
    summary: 'accept a reported case',
    example: '12 --reason "reproduced on 4.2.0"',
  },
  start: {
    usage: 'ID (--assignee U | --team T) [--root-cause T]',
    verb: 'started',
    summary: 'start work on it, assigned to a person or a team',
  },
  evidence: {
    usage: 'ID --functional FILE.xml --regression FILE.xml [--root-cause T]',
    verb: 'recorded evidence on',
    summary: 'the functional and regression test results (JUnit XML)',
  },
  ready: { usage: 'ID --hotfix ARCHIVE-ID', verb: 'readied', summary: 'link the signed hotfix archive that fixes it' },
  schedule: {
    usage: 'ID --start ISO --end ISO [--stakeholder EMAIL]...',
    verb: 'scheduled',
    summary: 'a deployment window; the stakeholders are notified',
    example: '12 --start 2026-05-02T22:00Z --end 2026-05-03T02:00Z --stakeholder ops@example.com',
  },
  deploy: {
    usage: 'ID --env NAME',
    verb: 'deployed',
    summary: 'record a deployment to an environment',
    example: '12 --env Production',
  },
  verify: {
    usage: 'ID --by USER',
    verb: 'verified',
    summary: 'record who signed the deployment off',
    example: '12 --by ann',
  },
  monitor: {
    usage: 'ID --days N',
    verb: 'monitoring',
    summary: 'watch for recurrences and reverts for N days',
    example: '12 --days 14',
  },
  solve: {
    usage: 'ID [--override --reason R]',
    verb: 'solved',
    summary: 'close it once the fix is present everywhere (or, as an admin, override)',
  },
  reject: {
    usage: 'ID --reason R',
    verb: 'rejected',
    summary: 'refuse the case',
    example: '12 --reason "works as designed"',
  },
  rollback: {
    usage: 'ID --reason R',
    verb: 'rolled back',
    summary: 'record that the fix was rolled back',
    example: '12 --reason "login latency doubled"',
  },
  reopen: {
    usage: 'ID --reason R',
    verb: 'reopened',
    summary: 'work on it again',
    example: '12 --reason "seen again at acme"',
  },
  supersede: {
    usage: 'ID --update UPDATE-ID',
    verb: 'superseded',
    summary: 'close it as included in an update',
    example: '12 --update UPD-4.2.0-13',
  },
} satisfies Record<string, Step>;

function step(name: keyof typeof STEPS): Subcommand {
  const it: Step = STEPS[name];
  return subcommand({
    name,
    summary: it.summary,
    args: ['ID'],
    usage: it.usage,
    examples: it.example !== undefined ? [`$ hfx case ${name} ${it.example}`] : [],
    async run({ values: v, args: [idArg] }, ctx) {
      const { path } = ctx;
      const login = loginFor(ctx, v);
      const id = caseId(name, idArg);
      const body: Record<string, unknown> = {};
      const put = (value: string | undefined, key: string) => {
        if (value !== undefined) body[key] = value;
      };
      put(v.reason, 'reason');
      put(v.assignee, 'assignee');
      put(v.team, 'team');
      put(v['root-cause'], 'rootCause');
      put(v.hotfix, 'hotfix');
      put(v.start, 'windowStart');
      put(v.end, 'windowEnd');
      put(v.env, 'environment');
      put(v.by, 'signoffBy');
      put(v.update, 'update');
      if (v.stakeholder) body.stakeholders = v.stakeholder;
      if (v.days !== undefined) body.monitorDays = int(v.days, 'days');
      if (v.override) body.override = true;
      for (const k of ['functional', 'regression'] as const) {
        const file = v[k];
        if (file) body[k] = readFileSync(path(file), 'utf8');
      }
      return shown(ctx.out, await call<CaseRow>(login, 'POST', `/v1/cases/${id}/${name}`, body), it.verb);
    },
  });
}

const SUBCOMMANDS = [
  create,
  list,
  show,
  step('triage'),
  step('start'),
  step('evidence'),
  step('ready'),
  step('schedule'),
  step('deploy'),
  step('verify'),
  step('monitor'),
  step('solve'),
  step('reject'),
  step('rollback'),
  step('reopen'),
  step('supersede'),
  priority,
  notes,
];

export const caseCommand = defineCommandWithSubcommands({
  name: 'case',
  summary: 'hotfix cases on the hfx server: report, triage, develop, test, ship, verify, monitor, solve',
  usage: `hfx case ${SUBCOMMANDS.map((s) => s.name).join('|')} [ID] [flags] [--server URL]`,
  details: `Subcommands and their flags (docs/cases.md has the states and guards):
  new       --title T --product P --severity S1..S4 --impact all|many|few|internal [--impact-text T] [--source customer|monitoring|testing]
            [--reporter R] [--customer C] [--release V] [--level N] [--component C] [--description D]
  list      [--state S] [--product P] [--customer C] [--limit N] [--before ID]
  show ID   the case, its transitions and notifications
  triage ID [--reason R]                    start ID --assignee U | --team T [--root-cause T]
  evidence ID --functional FILE.xml --regression FILE.xml [--root-cause T]   (JUnit XML)
  ready ID --hotfix ARCHIVE-ID              schedule ID --start ISO --end ISO [--stakeholder EMAIL]...
  deploy ID --env NAME                      verify ID --by USER
  monitor ID --days N                       solve ID [--override --reason R (admin)]
  reject|rollback|reopen ID --reason R      supersede ID --update UPDATE-ID
  priority ID --priority P1..P4 --reason R  notes ID [-o FILE.md]   (the release notes)`,
  examples: [
    '$ hfx case new --title "Login fails" --product apim --severity S1 --impact all --customer acme --component auth',
    '$ hfx case start 12 --assignee ann',
    '$ hfx case evidence 12 --functional func.xml --regression regr.xml --root-cause "token cache key"',
    '$ hfx case ready 12 --hotfix HF-4.2.0-12-0007',
    '$ hfx case solve 12',
  ],
  options: CASE_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: SUBCOMMANDS,
});
