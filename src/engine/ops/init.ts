import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { NAME_RE as NAME } from '../../names.js';
import { writeBaselineLinesSync } from '../home/baseline.js';
import { layout } from '../home/layout.js';
import { STATE_FORMAT, writeStateSync, type InstallState } from '../home/state.js';
import { scanLines } from './scan.js';

export interface InitOptions {
  home: string;
  product: string;
  version: string;
  level?: number;
  channel?: 'full' | 'security';
  /** The product's health check, run after applies from a server (engine/ops/health.ts). */
  health?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface InitResult {
  home: string;
  product: string;
  version: string;
  level: number;
  files: number;
  bytes: number;
}

/** Adopts a directory as a pack: records every file's size, mode and sha256 as the baseline. */
export async function initHome(opts: InitOptions): Promise<InitResult> {
  const l = layout(resolve(opts.home));
  for (const [k, v] of [
    ['product', opts.product],
    ['version', opts.version],
  ] as const) {
    if (!NAME.test(v))
      throw new HfxError('HFX_E_USAGE', `--${k} ${JSON.stringify(v)} must be letters, digits and . _ + - (up to 128)`);
  }
  const level = opts.level ?? 0;
  if (!Number.isSafeInteger(level) || level < 0)
    throw new HfxError('HFX_E_USAGE', `--level must be a whole number ≥ 0`);
  if (!existsSync(l.home))
    throw new HfxError('HFX_E_NOT_FOUND', `${l.home} does not exist`, {
      hint: 'Unpack the product first, then adopt its directory.',
    });
  if (existsSync(l.state))
    throw new HfxError('HFX_E_ALREADY_INITIALISED', `${l.home} is already an hfx installation`, {
      hint: 'See `hfx state`.',
    });
  const fresh = !existsSync(l.dir);
  try {
    mkdirSync(l.applied, { recursive: true });
    mkdirSync(l.trust, { recursive: true });
    const { scan } = await scanLines(l.home, opts.onProgress);
    writeBaselineLinesSync(l, scan.lines);
    const state: InstallState = {
      format: STATE_FORMAT,
      product: opts.product,
      version: opts.version,
      level,
      channel: opts.channel ?? 'full',
      initializedAt: new Date().toISOString(),
      tx: 0,
      hotfixes: [],
      updates: [],
      ...(opts.health ? { health: opts.health } : {}),
    };
    // The state file is written last: its presence is what makes the directory an installation.
    writeStateSync(l, state);
    return {
      home: l.home,
      product: state.product,
      version: state.version,
      level,
      files: scan.files,
      bytes: scan.bytes,
    };
  } catch (e) {
    if (fresh) rmSync(l.dir, { recursive: true, force: true });
    throw e;
  }
}
