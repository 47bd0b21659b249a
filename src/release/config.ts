// releases/hfx-release.config.json: how each image is built.
//   { "images": { "api": { "build": "sh command" } } }

import { join } from 'node:path';
import { z } from 'zod';
import { HfxError } from '../errors.js';
import { IMAGE_NAME_RE } from './schema.js';
import { CONFIG_NAME, readJsonFile } from './store.js';

const HINT = 'The file looks like {"images": {"api": {"build": "sh command"}}}.';

const ConfigSchema = z.strictObject({
  images: z.record(
    z.string().regex(IMAGE_NAME_RE, 'an image name'),
    z.strictObject({ build: z.string().min(1).max(100_000) }),
  ),
});

export type ReleaseConfig = z.infer<typeof ConfigSchema>;

function configFile(dir: string): string {
  return join(dir, CONFIG_NAME);
}

/** The build configuration, or null when the file does not exist. */
export function readReleaseConfig(dir: string): ReleaseConfig | null {
  const file = configFile(dir);
  const raw = readJsonFile(file, 'HFX_E_BUILD', HINT, true);
  if (raw === undefined) return null;
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new HfxError('HFX_E_BUILD', `${file} is not a valid build configuration: ${first.join('; ')}`, {
      hint: HINT,
    });
  }
  return r.data;
}

/** The build command of each image in `names`; throws HFX_E_BUILD for one without. */
export function buildCommands(
  dir: string,
  config: ReleaseConfig | null,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const cmd = config === null ? undefined : Object.hasOwn(config.images, n) ? config.images[n]?.build : undefined;
    if (cmd === undefined) {
      throw new HfxError(
        'HFX_E_BUILD',
        config === null
          ? `cannot build ${n}: there is no ${configFile(dir)}`
          : `cannot build ${n}: ${configFile(dir)} has no build command for it`,
        {
          hint: `Add {"images": {"${n}": {"build": "sh command"}}} to ${configFile(dir)}, or give its new reference with --set ${n}=REF.`,
        },
      );
    }
    out[n] = cmd;
  }
  return out;
}
