// --health CMD and what follows a failed check, shared by `hfx apply` and `hfx update`.
import { HfxError } from '../errors.js';
import { layout, readState, type HealthCheck } from '../engine/index.js';
import { readLink } from '../client/config.js';
import { duration, flags, int, type FlagValues } from './command.js';
import type { Output } from './output.js';

export const HEALTH_FLAGS = flags({
  health: { type: 'string' },
  'health-timeout': { type: 'string' },
  'health-retries': { type: 'string' },
});

/** --health CMD, or with --server the product's own check (hfx init --health). */
export async function healthOf(
  v: FlagValues<typeof HEALTH_FLAGS>,
  home: string,
  fromServer: boolean,
): Promise<HealthCheck | undefined> {
  let command = v.health;
  if (command === undefined && fromServer) command = (await readState(layout(home))).health;
  if (command === undefined) {
    if (v['health-timeout'] !== undefined || v['health-retries'] !== undefined)
      throw new HfxError('HFX_E_USAGE', '--health-timeout and --health-retries go with --health CMD');
    return undefined;
  }
  return {
    command,
    timeoutMs: duration(v['health-timeout'], 'health-timeout', 120_000),
    retries: int(v['health-retries'], 'health-retries', 0),
  };
}

/** A revert after a failed check goes to the fleet view at once when the installation is linked; a failed report does not hide the check's failure. */
export async function reportIfLinked(home: string, out: Output): Promise<void> {
  const link = readLink(layout(home));
  if (!link || link.url.startsWith('file:') || !link.token) return;
  try {
    // The client's server modules (TUF, HTTP) load only here: a plain apply does not pay for them.
    await (await import('../client/remote.js')).report(home);
  } catch (e) {
    out.warn(
      `the revert is recorded here but was not reported to ${link.url}: ${(e as Error).message}; \`hfx state --report\` sends it later`,
    );
  }
}
