import { useState } from 'react';
import { TABLE, type CaseAction, type Transition } from '../../../src/wire/cases.js';
import { api } from '../api.js';
import { useCan, useSession } from '../session.js';
import {
  Ban,
  CircleCheck,
  Clock,
  Eye,
  Inbox,
  Layers,
  PackageCheck,
  Pencil,
  RefreshCw,
  Rocket,
  Undo2,
  Upload,
  type Icon,
} from '../icons.js';
import type { ArchiveRow, CaseDetail, Pipeline } from '../types.js';
import { ActionForm, Field, str } from '../ui.js';
import { useApi } from '../use-api.js';

const LABEL: Record<CaseAction, string> = {
  triage: 'Triage',
  start: 'Start work',
  evidence: 'Attach evidence',
  ready: 'Mark ready',
  schedule: 'Schedule',
  deploy: 'Record deployment',
  verify: 'Verify (sign-off)',
  monitor: 'Start monitoring',
  solve: 'Mark solved',
  reopen: 'Reopen',
  reject: 'Reject',
  rollback: 'Roll back',
  supersede: 'Supersede',
};

/** The table's row for a state as the server sent it, which its type cannot vouch for. */
const rowOf = (state: string): Partial<Record<CaseAction, Transition>> | undefined =>
  (TABLE as Partial<Record<string, Partial<Record<CaseAction, Transition>>>>)[state];

/** The steps this case's state allows (the server's own table), for the roles the user has: a button each, its form below. */
export function CaseActions({ c, onDone }: { c: CaseDetail; onDone: () => void }) {
  const can = useCan();
  const row = rowOf(c.state) ?? {};
  const allowed = Object.entries(row).filter(([, t]) => can(t.role)) as [CaseAction, { role: string }][];
  // A lone step starts open; otherwise none, until its button is pressed.
  const [open, setOpen] = useState<CaseAction | null>(null);
  const [only] = allowed;
  const shown = open && allowed.some(([a]) => a === open) ? open : allowed.length === 1 && only ? only[0] : null;
  if (allowed.length === 0) {
    const why = Object.keys(row).length
      ? 'Your role cannot take the next steps of this case.'
      : `A ${c.state} case is final.`;
    return <p className="muted">{why}</p>;
  }
  const post = async (action: CaseAction, body: object) => {
    await api('POST', `/v1/cases/${c.id}/${action}`, body);
    setOpen(null);
    onDone();
  };
  return (
    <div className="actions">
      <div className="button-row" role="group" aria-label="Case steps">
        {allowed.map(([action]) => {
          const I = ICON[action];
          return (
            <button
              key={action}
              type="button"
              aria-expanded={shown === action}
              aria-controls="case-step"
              className={shown === action ? 'selected' : DANGER.has(action) ? 'danger-outline' : undefined}
              onClick={() => setOpen(shown === action ? null : action)}
            >
              <I size={16} />
              {LABEL[action]}
            </button>
          );
        })}
      </div>
      <div id="case-step" className="panel" hidden={shown === null}>
        {shown && <ActionFor key={shown} action={shown} c={c} post={post} />}
      </div>
    </div>
  );
}

const DANGER = new Set<CaseAction>(['reject', 'rollback']);
const ICON: Record<CaseAction, Icon> = {
  triage: Inbox,
  start: Pencil,
  evidence: Upload,
  ready: PackageCheck,
  schedule: Clock,
  deploy: Rocket,
  verify: CircleCheck,
  monitor: Eye,
  solve: CircleCheck,
  reopen: RefreshCw,
  reject: Ban,
  rollback: Undo2,
  supersede: Layers,
};

const iso = (local: string | undefined) => (local ? new Date(local).toISOString() : undefined);
const readFile = async (f: FormData, k: string) => {
  const file = f.get(k);
  return file instanceof File && file.size > 0 ? file.text() : undefined;
};

function ActionFor({
  action,
  c,
  post,
}: {
  action: CaseAction;
  c: CaseDetail;
  post: (a: CaseAction, b: object) => Promise<void>;
}) {
  const { me } = useSession();
  const can = useCan();
  const label = LABEL[action];
  const reason = (required: boolean) => (
    <Field label="Reason">{(id) => <input id={id} name="reason" required={required} />}</Field>
  );
  switch (action) {
    case 'triage':
      return (
        <ActionForm
          label={label}
          onSubmit={(f) => post(action, { ...(str(f, 'reason') ? { reason: str(f, 'reason') } : {}) })}
        >
          {reason(false)}
        </ActionForm>
      );
    case 'start':
      return (
        <ActionForm label={label} onSubmit={(f) => post(action, pick(f, ['assignee', 'team', 'rootCause']))}>
          <Field label="Assignee">{(id) => <input id={id} name="assignee" defaultValue={me?.username} />}</Field>
          <Field label="Team">{(id) => <input id={id} name="team" />}</Field>
          <Field label="Root cause (if known)">{(id) => <input id={id} name="rootCause" />}</Field>
        </ActionForm>
      );
    case 'evidence':
      return (
        <ActionForm
          label={label}
          onSubmit={async (f) =>
            post(action, {
              ...pick(f, ['rootCause']),
              functional: await readFile(f, 'functional'),
              regression: await readFile(f, 'regression'),
            })
          }
        >
          <Field label="Root cause" hint={c.root_cause ? `Recorded: ${c.root_cause}` : 'Required before evidence.'}>
            {(id) => <input id={id} name="rootCause" />}
          </Field>
          <Field label="Functional tests (JUnit XML)">
            {(id) => <input id={id} name="functional" type="file" accept=".xml,text/xml,application/xml" />}
          </Field>
          <Field label="Regression tests (JUnit XML)">
            {(id) => <input id={id} name="regression" type="file" accept=".xml,text/xml,application/xml" />}
          </Field>
        </ActionForm>
      );
    case 'ready':
      return <ArchiveChoice label={label} c={c} kind="hotfix" name="hotfix" post={(b) => post(action, b)} />;
    case 'supersede':
      return <ArchiveChoice label={label} c={c} kind="update" name="update" post={(b) => post(action, b)} />;
    case 'schedule':
      return (
        <ActionForm
          label={label}
          onSubmit={(f) =>
            post(action, {
              windowStart: iso(str(f, 'windowStart')),
              windowEnd: iso(str(f, 'windowEnd')),
              stakeholders: (str(f, 'stakeholders') ?? '').split(/[\s,]+/).filter(Boolean),
            })
          }
        >
          <Field label="Window start">
            {(id) => <input id={id} name="windowStart" type="datetime-local" required />}
          </Field>
          <Field label="Window end">{(id) => <input id={id} name="windowEnd" type="datetime-local" required />}</Field>
          <Field label="Stakeholders to notify" hint="E-mail addresses, separated by commas.">
            {(id) => <input id={id} name="stakeholders" />}
          </Field>
        </ActionForm>
      );
    case 'deploy':
      return <DeployChoice c={c} post={(b) => post(action, b)} />;
    case 'verify':
      return (
        <ActionForm label={label} onSubmit={(f) => post(action, pick(f, ['signoffBy']))}>
          <Field label="Signed off by" hint="A user of this server.">
            {(id) => <input id={id} name="signoffBy" required />}
          </Field>
        </ActionForm>
      );
    case 'monitor':
      return (
        <ActionForm label={label} onSubmit={(f) => post(action, { monitorDays: Number(str(f, 'monitorDays') ?? 0) })}>
          <Field label="Monitoring days">
            {(id) => <input id={id} name="monitorDays" type="number" min={0} max={365} defaultValue={14} required />}
          </Field>
        </ActionForm>
      );
    case 'solve':
      return (
        <ActionForm
          label={label}
          onSubmit={(f) => post(action, f.get('override') === 'on' ? { override: true, reason: str(f, 'reason') } : {})}
        >
          <p className="muted">Refused while the fix is not present in every environment of the pipeline.</p>
          {can('admin') && (
            <>
              <div className="check">
                <input id="solve-override" name="override" type="checkbox" />
                <label htmlFor="solve-override">Override (admin): solve although the fix is not everywhere</label>
              </div>
              {reason(false)}
            </>
          )}
        </ActionForm>
      );
    case 'reopen':
    case 'reject':
    case 'rollback':
      return (
        <ActionForm
          label={label}
          danger={action !== 'reopen'}
          onSubmit={(f) => post(action, { reason: str(f, 'reason') })}
        >
          {reason(true)}
        </ActionForm>
      );
  }
}

function pick(f: FormData, keys: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const k of keys) {
    const v = str(f, k);
    if (v !== undefined) o[k] = v;
  }
  return o;
}

function ArchiveChoice({
  label,
  c,
  kind,
  name,
  post,
}: {
  label: string;
  c: CaseDetail;
  kind: 'hotfix' | 'update';
  name: string;
  post: (b: object) => Promise<void>;
}) {
  const list = useApi<{ archives: ArchiveRow[] }>(`/v1/archives?product=${encodeURIComponent(c.product)}&kind=${kind}`);
  return (
    <ActionForm label={label} onSubmit={(f) => post(pick(f, [name]))}>
      <Field
        label={kind === 'hotfix' ? 'Hotfix archive' : 'Update that includes the hotfix'}
        hint={kind === 'hotfix' ? 'Push it first (Archives, or `hfx push`).' : undefined}
      >
        {(id) => (
          // Mounted again once the options are there, so the linked hotfix is preselected.
          <select
            id={id}
            key={list.data ? 'loaded' : 'loading'}
            name={name}
            required
            defaultValue={kind === 'hotfix' ? (c.hotfix_id ?? '') : ''}
          >
            <option value="" disabled>
              Choose…
            </option>
            {(list.data?.archives ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.id} · {a.title}
              </option>
            ))}
          </select>
        )}
      </Field>
    </ActionForm>
  );
}

function DeployChoice({ c, post }: { c: CaseDetail; post: (b: object) => Promise<void> }) {
  const board = useApi<Pipeline>(`/v1/environments/${encodeURIComponent(c.product)}`);
  const done = new Set(c.deployed.map((d) => d.environment));
  return (
    <ActionForm label="Record deployment" onSubmit={(f) => post(pick(f, ['environment']))}>
      <p className="muted">
        Records that the case's hotfix was deployed to an environment (deploy the archive itself from the pipeline
        board).
      </p>
      <Field label="Environment">
        {(id) => (
          <select id={id} name="environment" required defaultValue="">
            <option value="" disabled>
              Choose…
            </option>
            {(board.data?.environments ?? []).map((e) => (
              <option key={e.name} value={e.name} disabled={done.has(e.name)}>
                {e.name}
                {done.has(e.name) ? ' (recorded)' : ''}
              </option>
            ))}
          </select>
        )}
      </Field>
    </ActionForm>
  );
}
