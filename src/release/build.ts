// Running an image's build command and reading the reference it names.

import { spawn } from 'node:child_process';
import { HfxError } from '../errors.js';
import { checkDigest, parseImageRef, withDigest, type ImageRef } from './reference.js';

/** Output kept of a build (its tail): enough to show why it failed. */
const KEEP_BYTES = 1024 * 1024;
const SHOWN_LINES = 40;

/**
 * The reference a build names: its last stdout line that is an image reference with a tag or a
 * digest, or a bare `sha256:` digest — which is attached to the base image's repository. Lines
 * are trimmed; anything else (progress, blank lines) is skipped. Null when no line qualifies.
 */
export function refFromBuildOutput(stdout: string, base: ImageRef): ImageRef | null {
  for (const raw of stdout.split(/\r?\n/).reverse()) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^sha(256|512):/.test(line)) {
      try {
        return withDigest(base, checkDigest(line));
      } catch {
        continue;
      }
    }
    try {
      const r = parseImageRef(line);
      if (r.tag !== undefined || r.digest !== undefined) return r;
    } catch {
      // not a reference: keep looking
    }
  }
  return null;
}

export interface BuildOptions {
  image: string;
  command: string;
  /** The new release's version (HFX_VERSION). */
  version: string;
  /** The image's reference in the base release (HFX_BASE_REF). */
  baseRef: ImageRef;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Called with the build's output as it comes (stdout and stderr). */
  onOutput?: ((chunk: Buffer) => void) | undefined;
}

export interface BuildResult {
  image: string;
  ref: ImageRef;
  /** The tail of the build's output. */
  output: string;
}

function tail(text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return (all.length > lines ? [`… (${all.length - lines} earlier lines)`, ...all.slice(-lines)] : all).join('\n');
}

/** Runs `sh -c COMMAND`; resolves with the reference it names, or throws HFX_E_BUILD. */
export function runBuild(o: BuildOptions): Promise<BuildResult> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...o.env, HFX_IMAGE: o.image, HFX_VERSION: o.version, HFX_BASE_REF: o.baseRef.full };
    const child = spawn('sh', ['-c', o.command], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out: Buffer = Buffer.alloc(0);
    let both: Buffer = Buffer.alloc(0);
    const keep = (buf: Buffer, chunk: Buffer): Buffer => {
      const b = Buffer.concat([buf, chunk]);
      return b.length > KEEP_BYTES ? b.subarray(b.length - KEEP_BYTES) : b;
    };
    child.stdout.on('data', (d: Buffer) => {
      out = keep(out, d);
      both = keep(both, d);
      o.onOutput?.(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      both = keep(both, d);
      o.onOutput?.(d);
    });
    child.on('error', (e) =>
      reject(new HfxError('HFX_E_BUILD', `cannot run the build of ${o.image}: ${e.message}`, { cause: e })),
    );
    child.on('close', (code, signal) => {
      const output = both.toString('utf8');
      const details = { image: o.image, command: o.command, exitCode: code, signal, output };
      const shown = o.onOutput || output.trim() === '' ? '' : `\n${tail(output, SHOWN_LINES)}`;
      if (code !== 0) {
        const how = signal ? `killed by ${signal}` : `exit ${String(code)}`;
        reject(
          new HfxError('HFX_E_BUILD', `the build of ${o.image} failed (${how}); nothing was written${shown}`, {
            hint: `The command was: ${o.command}`,
            details,
          }),
        );
        return;
      }
      const ref = refFromBuildOutput(out.toString('utf8'), o.baseRef);
      if (!ref) {
        reject(
          new HfxError(
            'HFX_E_BUILD',
            `the build of ${o.image} succeeded but printed no image reference; nothing was written${shown}`,
            {
              hint: 'The last line of its output that is an image reference (with a tag or digest) or a sha256: digest names the new image.',
              details,
            },
          ),
        );
        return;
      }
      resolvePromise({ image: o.image, ref, output });
    });
  });
}
