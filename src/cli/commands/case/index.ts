import { readFileSync, writeFileSync } from 'node:fs';
import { currentLogin } from '../../../client/config.js';
import { call, send } from '../../../client/http.js';
import { HfxError } from '../../../errors.js';
import { int, str, type Command } from '../../command.js';

const SUBS = ['new', 'list', 'show', 'triage', 'start', 'evidence', 'ready', 'schedule', 'deploy', 'verify', 'monitor', 'solve', 'reject', 'rollback', 'reopen', 'supersede', 'priority', 'notes'] as const;
type Sub = (typeof SUBS)[number];

interface CaseJson {
  id: number;
  title: string;
  state: string;
  severity: string;
  priority: string;
  product: string;
  component: string | null;
  assignee: string | null;
  team: string | null;
  hotfix_id: string | null;
  transitions?: { action: string; from_state: string | null; to_state: string; actor: string; reason: string | null; at: string }[];
  notifications?: { event_id: string; kind: string; target: string; delivered_at: string | null }[];
}

const opt = (v: Record<string, unknown>, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

export const caseCommand: Command = {
  name: 'case',
  summary: 'hotfix cases on the hfx server: report, triage, develop, test, ship, verify, monitor, solve',
  usage: `hfx case ${SUBS.join('|')} [ID] [flags] [--server URL]`,
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
  options: {
    server: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, source: { type: 'string' }, reporter: { type: 'string' },
    customer: { type: 'string' }, product: { type: 'string' }, release: { type: 'string' }, level: { type: 'string' }, component: { type: 'string' },
    impact: { type: 'string' }, 'impact-text': { type: 'string' }, severity: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' },
    before: { type: 'string' }, reason: { type: 'string' }, assignee: { type: 'string' }, team: { type: 'string' }, 'root-cause': { type: 'string' },
    functional: { type: 'string' }, regression: { type: 'string' }, hotfix: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' },
    stakeholder: { type: 'string', multiple: true }, env: { type: 'string' }, by: { type: 'string' }, days: { type: 'string' }, override: { type: 'boolean' },
    update: { type: 'string' }, priority: { type: 'string' }, out: { type: 'string', short: 'o' },
  },
  async run({ values: v, positionals }, { io, out, path }) {
    const [sub, idArg, ...rest] = positionals;
    if (!sub || !(SUBS as readonly string[]).includes(sub)) throw new HfxError('HFX_E_USAGE', sub ? `unknown subcommand ${sub}` : 'a subcommand is missing', { hint: `One of: ${SUBS.join(', ')}. See \`hfx case --help\`.` });
    if (rest.length) throw new HfxError('HFX_E_USAGE', `unexpected arguments: ${rest.join(' ')}`);
    const login = currentLogin(io.env, opt(v, 'server'));
    const s = sub as Sub;
    const needId = () => {
      if (!idArg || !/^\d+$/.test(idArg)) throw new HfxError('HFX_E_USAGE', `hfx case ${s} needs a case number`, { hint: 'See `hfx case list`.' });
      return Number(idArg);
    };
    const show = (c: CaseJson, verb: string) => {
      out.result({ case: c });
      out.line(`${out.c.green('✓')} ${verb} case #${c.id} (${c.severity}/${c.priority}) ${c.title}: ${out.c.bold(c.state)}`);
      return 0;
    };
    if (s === 'new') {
      const level = v['level'] === undefined ? undefined : int(v['level'], 'level');
      const body = {
        title: str(v['title'], 'title', 'case'), product: str(v['product'], 'product', 'case'), severity: str(v['severity'], 'severity', 'case'), impact: str(v['impact'], 'impact', 'case'),
        source: opt(v, 'source') ?? 'customer', reporter: opt(v, 'reporter') ?? login.who.split(' ')[0] ?? 'unknown',
        ...(opt(v, 'description') ? { description: opt(v, 'description') } : {}), ...(opt(v, 'impact-text') ? { impactText: opt(v, 'impact-text') } : {}),
        ...(opt(v, 'customer') ? { customer: opt(v, 'customer') } : {}), ...(opt(v, 'release') ? { release: opt(v, 'release') } : {}),
        ...(level !== undefined ? { level } : {}), ...(opt(v, 'component') ? { component: opt(v, 'component') } : {}),
      };
      return show(await call<CaseJson>(login, 'POST', '/v1/cases', body), 'reported');
    }
    if (s === 'list') {
      const q = new URLSearchParams();
      for (const k of ['state', 'product', 'customer', 'limit', 'before'] as const) if (opt(v, k)) q.set(k, opt(v, k)!);
      const r = await call<{ cases: CaseJson[]; next: number | null }>(login, 'GET', `/v1/cases${q.size ? `?${q}` : ''}`);
      out.result(r);
      if (!r.cases.length) out.line('no cases');
      for (const c of r.cases) out.line(`#${String(c.id).padEnd(6)} ${c.severity}/${c.priority}  ${c.state.padEnd(12)} ${c.product}${c.component ? `/${c.component}` : ''}  ${c.title}${c.hotfix_id ? `  [${c.hotfix_id}]` : ''}`);
      if (r.next) out.line(out.c.dim(`more: hfx case list --before ${r.next}`));
      return 0;
    }
    const id = needId();
    if (s === 'show') {
      const c = await call<CaseJson>(login, 'GET', `/v1/cases/${id}`);
      out.result({ case: c });
      out.line(`#${c.id} ${out.c.bold(c.title)}  ${c.severity}/${c.priority}  ${out.c.bold(c.state)}`);
      out.line(`  ${c.product}${c.component ? `/${c.component}` : ''}${c.assignee ? `  assignee ${c.assignee}` : ''}${c.team ? `  team ${c.team}` : ''}${c.hotfix_id ? `  hotfix ${c.hotfix_id}` : ''}`);
      for (const t of c.transitions ?? []) out.line(`  ${t.at}  ${t.actor.padEnd(12)} ${t.action.padEnd(9)} → ${t.to_state}${t.reason ? `  (${t.reason})` : ''}`);
      for (const n of c.notifications ?? []) out.line(`  notified ${n.kind} ${n.target}: ${n.event_id} ${n.delivered_at ? 'delivered' : 'pending'}`);
      return 0;
    }
    if (s === 'notes') {
      const res = await send(login, 'GET', `/v1/cases/${id}/release-notes.md`);
      const md = await res.text();
      if (opt(v, 'out')) {
        writeFileSync(path(opt(v, 'out')!), md);
        out.result({ file: path(opt(v, 'out')!) });
        out.line(`${out.c.green('✓')} release notes written to ${opt(v, 'out')}`);
      } else if (out.json) out.result({ markdown: md });
      else out.print(md); // neutralised: the notes quote case titles and reasons as people typed them
      return 0;
    }
    if (s === 'priority') {
      const c = await call<CaseJson>(login, 'POST', `/v1/cases/${id}/priority`, { priority: str(v['priority'], 'priority', 'case'), reason: str(v['reason'], 'reason', 'case') });
      return show(c, 're-prioritised');
    }
    const body: Record<string, unknown> = {};
    const put = (flag: string, key: string) => {
      if (opt(v, flag) !== undefined) body[key] = opt(v, flag);
    };
    put('reason', 'reason');
    put('assignee', 'assignee');
    put('team', 'team');
    put('root-cause', 'rootCause');
    put('hotfix', 'hotfix');
    put('start', 'windowStart');
    put('end', 'windowEnd');
    put('env', 'environment');
    put('by', 'signoffBy');
    put('update', 'update');
    if (Array.isArray(v['stakeholder'])) body['stakeholders'] = v['stakeholder'];
    if (v['days'] !== undefined) body['monitorDays'] = int(v['days'], 'days');
    if (v['override']) body['override'] = true;
    for (const k of ['functional', 'regression'] as const) if (opt(v, k)) body[k] = readFileSync(path(opt(v, k)!), 'utf8');
    const verbs: Partial<Record<Sub, string>> = { triage: 'triaged', start: 'started', evidence: 'recorded evidence on', ready: 'readied', schedule: 'scheduled', deploy: 'deployed', verify: 'verified', monitor: 'monitoring', solve: 'solved', reject: 'rejected', rollback: 'rolled back', reopen: 'reopened', supersede: 'superseded' };
    return show(await call<CaseJson>(login, 'POST', `/v1/cases/${id}/${s}`, body), verbs[s] ?? s);
  },
};
