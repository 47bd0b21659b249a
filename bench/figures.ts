/**
 * Every benchmark script reports its figures here, each with its goal, so `npm run bench`
 * (bench/all.ts) can print all of them in one table at the end of one run. A script run alone
 * prints its own table as before; the figures are collected only when bench/all.ts names a file.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** The file bench/all.ts hands each script: one JSON figure per line. */
export const FIGURES_ENV = 'HFX_BENCH_FIGURES';

export interface Figure {
  /** The script that measured it: run, updates, server, cases, image, oci, dashboard. */
  bench: string;
  row: string;
  /** The figure as read: a ratio with its two sides, or a time. */
  value: string;
  goal: string;
  /** null: information, no goal. */
  met: boolean | null;
  /** The issue that set the goal, when one did (16: the speed issue). */
  issue?: number;
  /** Cores other processes used meanwhile, when the script measured it. */
  otherLoad?: number | null;
}

export function recordFigures(bench: string, figures: Omit<Figure, 'bench'>[]): void {
  const file = process.env[FIGURES_ENV];
  if (!file) return;
  appendFileSync(file, figures.map((f) => JSON.stringify({ bench, ...f }) + '\n').join(''));
}

export function readFigures(file: string): Figure[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Figure);
}

export function figuresTable(figures: readonly Figure[]): string {
  const head = ['bench', 'figure', 'measured', 'goal', 'result', 'other load'];
  const body = figures.map((f) => [
    f.bench,
    f.issue ? `${f.row} [#${f.issue}]` : f.row,
    f.value,
    f.goal,
    f.met === null ? 'info' : f.met ? 'met' : 'MISSED',
    f.otherLoad === undefined || f.otherLoad === null ? '' : f.otherLoad.toFixed(2),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

export const ratio = (a: number, b: number, unit: string, digits = 3): string =>
  `${(a / b).toFixed(2)} (${a.toFixed(digits)} / ${b.toFixed(digits)} ${unit})`;
