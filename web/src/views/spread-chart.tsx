import type { HotfixSpread } from '../types.js';

const W = 640;
const H = 200;
const PAD = { l: 36, r: 12, t: 12, b: 28 };

/**
 * A step chart of how many installations ran the hotfix over time, from the fleet's events: up at
 * each "applied", down at each "reverted" (marked in red). Drawn as plain SVG: a chart library
 * would cost more than the whole dashboard for one chart.
 */
export function SpreadChart({ events }: { events: HotfixSpread['events'] }) {
  const steps: { t: number; n: number; kind: 'applied' | 'reverted'; name: string; reason: string | null }[] = [];
  const running = new Set<string>();
  for (const e of events) {
    if (e.kind === 'applied') running.add(e.installation_id);
    else if (e.kind === 'reverted') running.delete(e.installation_id);
    else continue;
    steps.push({ t: new Date(e.at).getTime(), n: running.size, kind: e.kind, name: e.name, reason: e.reason });
  }
  const first = steps[0];
  const last = steps[steps.length - 1];
  if (!first || !last) return <p className="muted">No installation has reported applying it yet.</p>;
  const t0 = first.t;
  const t1 = Math.max(last.t, t0 + 1);
  const max = Math.max(1, ...steps.map((s) => s.n));
  const x = (t: number) => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (n: number) => H - PAD.b - (n / max) * (H - PAD.t - PAD.b);
  let d = `M${x(t0)},${y(0)}`;
  for (const s of steps) d += ` H${x(s.t).toFixed(1)} V${y(s.n).toFixed(1)}`;
  d += ` H${x(t1)}`;
  const fmt = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
  const reverts = steps.filter((s) => s.kind === 'reverted').length;
  const label =
    `Installations running the hotfix over time: at most ${max}, now ${last.n}, ` +
    `${reverts} revert${reverts === 1 ? '' : 's'}`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <line x1={PAD.l} y1={y(0)} x2={W - PAD.r} y2={y(0)} className="axis" />
        <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={y(0)} className="axis" />
        <text x={PAD.l - 6} y={y(max) + 4} textAnchor="end" className="tick">
          {max}
        </text>
        <text x={PAD.l - 6} y={y(0) + 4} textAnchor="end" className="tick">
          0
        </text>
        <text x={PAD.l} y={H - 8} className="tick">
          {fmt(t0)}
        </text>
        <text x={W - PAD.r} y={H - 8} textAnchor="end" className="tick">
          {fmt(t1)}
        </text>
        <path d={d} className="line" />
        {steps.map((s, i) => (
          <circle key={i} cx={x(s.t)} cy={y(s.n)} r={s.kind === 'reverted' ? 5 : 3} className={s.kind}>
            <title>{`${fmt(s.t)} ${s.kind} on ${s.name}${s.reason ? `: ${s.reason}` : ''}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>Installations running it over time; red points are reverts (the table below says why).</figcaption>
    </figure>
  );
}
