import { useState } from 'react';
import { Link } from 'wouter';
import { api, qs } from '../api.js';
import { useCan } from '../session.js';
import type { ArchiveRow, EnvView, Pipeline } from '../types.js';
import { GitCompare, Rocket, Workflow } from '../icons.js';
import {
  ActionForm,
  Badge,
  Card,
  Command,
  EmptyState,
  ErrorBox,
  Field,
  Head,
  Layout,
  Loading,
  Reveal,
  str,
  useProducts,
  useQuery,
} from '../ui.js';
import { useApi } from '../use-api.js';
import { ProductBar } from './overview.js';

/** LifeTime's grid: environments as columns, what each runs, red for a hotfix not yet everywhere before it. */
export function PipelineView({ product }: { product: string | null }) {
  const products = useProducts();
  const list = products.data?.products ?? [];
  const chosen = product ?? list[0]?.name ?? null;
  const board = useApi<Pipeline>(chosen ? `/v1/environments/${encodeURIComponent(chosen)}` : null);
  const hotfixes = useApi<{ archives: ArchiveRow[] }>(
    chosen ? `/v1/archives?product=${encodeURIComponent(chosen)}&kind=hotfix` : null,
  );
  const pipeline = board.data;
  return (
    <Layout
      title={chosen ? `Pipeline · ${chosen}` : 'Pipeline'}
      description="Environments in order; a hotfix is red where an earlier environment lacks it."
    >
      {products.error && <ErrorBox error={products.error} />}
      {/* Unlike Releases and Updates, no chooser while there is nothing in it to choose. */}
      <ProductBar products={products} chosen={list.length > 0 ? chosen : null} base="/pipeline">
        {board.data?.next && (
          <p className="next-tag">
            Next tag: <strong>{board.data.next.hotfix}</strong> for a hotfix, <strong>{board.data.next.update}</strong>{' '}
            for an update level
          </p>
        )}
      </ProductBar>
      <ErrorBox error={board.error} />
      {board.loading && !board.data && <Loading what="the pipeline" />}
      {board.data?.environments.length === 0 && (
        <EmptyState icon={Workflow} title="No pipeline yet">
          <p>
            Name the product's environments in the order a fix travels (a release manager), then assign installations to
            them.
          </p>
          <Command>{`hfx env pipeline ${chosen ?? 'PRODUCT'} Development,QA,Production`}</Command>
          <Command>{`hfx env assign ${chosen ?? 'PRODUCT'} QA INSTALLATION-ID`}</Command>
        </EmptyState>
      )}
      {pipeline && (
        <ol className="board" aria-label="Environments in pipeline order">
          {pipeline.environments.map((e) => (
            <EnvColumn
              key={e.name}
              env={e}
              product={pipeline.product}
              all={pipeline.environments}
              hotfixes={hotfixes.data?.archives ?? []}
              onChange={board.reload}
            />
          ))}
        </ol>
      )}
      {board.data && board.data.environments.length > 1 && (
        <Compare product={board.data.product} envs={board.data.environments.map((e) => e.name)} />
      )}
    </Layout>
  );
}

function EnvColumn({
  env,
  product,
  hotfixes,
  all,
  onChange,
}: {
  env: EnvView;
  product: string;
  hotfixes: ArchiveRow[];
  all: EnvView[];
  onChange: () => void;
}) {
  const can = useCan();
  // Already deployed there, not yet applied: propagating again would be refused, so say so instead.
  const waiting = (to: string, id: string) =>
    all.some((e) => e.name === to && e.hotfixes.some((h) => h.id === id && h.state === 'deployed'));
  return (
    <li className={`env${env.red ? ' has-red' : ''}`} data-env={env.name} aria-labelledby={`env-${env.position}`}>
      <h2 id={`env-${env.position}`}>{env.name}</h2>
      <p className="version" data-testid="version">
        {env.version ?? <span className="muted">nothing reported</span>}
      </p>
      <dl className="facts">
        <dt>Release</dt>
        <dd>{env.release ? `${env.release} level ${env.level ?? '?'}` : '—'}</dd>
        <dt>Installations</dt>
        <dd>
          {env.installations.reported} of {env.installations.assigned} reported
        </dd>
        {env.tag && (
          <>
            <dt>Tag</dt>
            <dd>
              {env.tag}
              {env.untagged && <span title="changed since the tag"> (changed since)</span>}
            </dd>
          </>
        )}
      </dl>
      {!env.consistent && (
        <p>
          <Badge tone="amber">installations differ</Badge>
        </p>
      )}
      {env.red && (
        <p className="red-note">
          <Badge tone="red">not propagated</Badge>
        </p>
      )}
      <ul className="hotfixes" aria-label={`Hotfixes in ${env.name}`}>
        {env.hotfixes.length === 0 && <li className="muted">no hotfixes</li>}
        {env.hotfixes.map((h) => (
          <li key={h.id} className={h.red ? 'red' : undefined} data-hotfix={h.id} data-red={h.red ? 'true' : 'false'}>
            <Link href={`/archives/${encodeURIComponent(h.id)}`}>{h.id}</Link>
            {h.red && <span aria-hidden="true">+</span>}{' '}
            <Badge tone={h.state === 'applied' ? 'green' : h.state === 'partial' ? 'amber' : 'blue'}>{h.state}</Badge>
            {h.red && <small className="why">not propagated: missing in {h.missingIn.join(', ')}</small>}
            {h.red &&
              can('developer') &&
              h.missingIn.map((to) =>
                waiting(to, h.id) ? (
                  <small key={to} className="muted wait">
                    deployed to {to}, waiting for its installations to apply it
                  </small>
                ) : (
                  <PropagateButton key={to} product={product} hotfix={h.id} to={to} onDone={onChange} />
                ),
              )}
          </li>
        ))}
      </ul>
      {can('developer') && (
        <DeployForm
          env={env}
          product={product}
          hotfixes={hotfixes.filter((a) => !env.hotfixes.some((h) => h.id === a.id))}
          isLast={env.position === all.length - 1}
          onDone={onChange}
        />
      )}
    </li>
  );
}

interface Comparison {
  a: string;
  b: string;
  same: boolean;
  release: { a: string | null; b: string | null };
  level: { a: number | null; b: number | null };
  packHash: { a: string | null; b: string | null };
  hotfixes: { id: string; a: string | null; b: string | null; same: boolean }[];
  files: { path: string; a: string | null; b: string | null; same: boolean }[];
  unknown: string[];
}

const short = (v: string | null) =>
  v === null ? 'absent' : v === 'base' ? 'as released' : /^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 12)}…` : v;

/** LifeTime's "compare environments": what differs between two, hotfix by hotfix and file by file. */
function Compare({ product, envs }: { product: string; envs: string[] }) {
  const [q, setQ] = useQuery();
  // Shown for two environments or more: by default the last two.
  const a = q.get('a') ?? envs[envs.length - 2] ?? '';
  const b = q.get('b') ?? envs[envs.length - 1] ?? '';
  const cmp = useApi<Comparison>(
    a !== b ? `/v1/environments/${encodeURIComponent(product)}/compare${qs({ a, b })}` : null,
  );
  const pick = (label: string, value: string, key: string) => (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => setQ({ [key]: e.target.value })}>
          {envs.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </select>
      )}
    </Field>
  );
  const c = cmp.data;
  const hf = c?.hotfixes.filter((h) => !h.same) ?? [];
  const files = c?.files.filter((f) => !f.same) ?? [];
  return (
    <Card
      title={
        <>
          <GitCompare size={18} className="h-icon" />
          Compare two environments
        </>
      }
    >
      <div className="toolbar">
        {pick('Environment A', a, 'a')}
        {pick('Environment B', b, 'b')}
      </div>
      <ErrorBox error={cmp.error} />
      {a === b && <p className="muted">Choose two different environments.</p>}
      {c &&
        (c.same ? (
          <p role="status">
            {a} and {b} run the same content.
          </p>
        ) : (
          <div role="group" aria-label={`Differences between ${a} and ${b}`}>
            {(c.release.a !== c.release.b || c.level.a !== c.level.b) && (
              <p>
                Release: {c.release.a ?? '—'} level {c.level.a ?? '—'} in {a}; {c.release.b ?? '—'} level{' '}
                {c.level.b ?? '—'} in {b}.
              </p>
            )}
            {hf.length > 0 && (
              <ul aria-label="Hotfixes that differ">
                {hf.map((h) => (
                  <li key={h.id}>
                    {h.id}:{' '}
                    {h.a === null ? `only in ${b}` : h.b === null ? `only in ${a}` : 'in both, with different digests'}
                  </li>
                ))}
              </ul>
            )}
            {files.length > 0 && (
              <div className="table-wrap">
                <table aria-label="Files that differ">
                  <Head cols={['Path', a, b]} />
                  <tbody>
                    {files.map((f) => (
                      <tr key={f.path}>
                        <td>
                          <code>{f.path}</code>
                        </td>
                        <td>
                          <code>{short(f.a)}</code>
                        </td>
                        <td>
                          <code>{short(f.b)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {c.unknown.length > 0 && (
              <p className="muted">
                No archive on the server for {c.unknown.join(', ')}: their files could not be compared.
              </p>
            )}
          </div>
        ))}
    </Card>
  );
}

function PropagateButton({
  product,
  hotfix,
  to,
  onDone,
}: {
  product: string;
  hotfix: string;
  to: string;
  onDone: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await api(
        'POST',
        `/v1/environments/${encodeURIComponent(product)}/hotfixes/${encodeURIComponent(hotfix)}/propagate`,
        { to },
      );
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="propagate">
      <button type="button" className="small primary" disabled={busy} onClick={() => void go()}>
        Propagate {hotfix} to {to}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

function DeployForm({
  env,
  product,
  hotfixes,
  isLast,
  onDone,
}: {
  env: EnvView;
  product: string;
  hotfixes: ArchiveRow[];
  isLast: boolean;
  onDone: () => void;
}) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <Reveal label="Deploy" icon={Rocket} className="deploy">
      <ActionForm
        label={`Deploy to ${env.name}`}
        icon={Rocket}
        onSubmit={async (f) => {
          const hotfix = str(f, 'hotfix');
          const level = str(f, 'level');
          const reason = str(f, 'approval');
          const body = {
            ...(hotfix ? { hotfix } : {}),
            ...(level ? { level: Number(level) } : {}),
            ...(str(f, 'tag') ? { tag: str(f, 'tag') } : {}),
            ...(reason ? { approval: { reason } } : {}),
          };
          const r = await api<{ tag: string }>(
            'POST',
            `/v1/environments/${encodeURIComponent(product)}/${encodeURIComponent(env.name)}/deploy`,
            body,
          );
          setDone(`Deployed, tagged ${r.tag}. The installations apply it with \`hfx apply --server\` and report.`);
          onDone();
        }}
      >
        <Field label="Hotfix">
          {(id) => (
            <select id={id} name="hotfix" defaultValue="">
              <option value="">— none (an update level) —</option>
              {hotfixes.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.id} · {a.title}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="or update level">
          {(id) => <input id={id} name="level" type="number" min={0} inputMode="numeric" />}
        </Field>
        <Field label="Tag" hint="Empty: the suggested tag.">
          {(id) => <input id={id} name="tag" />}
        </Field>
        {isLast && (
          <Field
            label="Approval reason"
            hint="Needed (release manager) when the environment before this one does not have the hotfix."
          >
            {(id) => <input id={id} name="approval" />}
          </Field>
        )}
      </ActionForm>
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
    </Reveal>
  );
}
