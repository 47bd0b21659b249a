import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRegistry {
  host: string;
  dir: string;
  /** Blob uploads (PUT …/blobs/uploads/…) the registry logged since start. */
  log(): string;
  stop(): Promise<void>;
  /** Ends the process, keeping its storage and port, as a registry going down does (own registries only). */
  halt(): Promise<void>;
  /** Starts it again after halt(), on the same port with the same storage. */
  restart(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing answers (a registry stuck or overloaded). SIGCONT undoes it. */
  pause(): void;
  resume(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A line for an htpasswd file (bcrypt, which the registry requires), made with `htpasswd -nbB`. */
export function htpasswdLine(user: string, password: string): string {
  const r = spawnSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr} (install apache2-utils)`);
  return r.stdout.trim();
}

/** Starts Debian's docker-registry on 127.0.0.1 with storage in a temp dir; optional htpasswd auth. */
export async function startRegistry(opts: { htpasswd?: string } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'hfx-registry-'));
  const port = await freePort();
  const auth = opts.htpasswd ? `auth:\n  htpasswd:\n    realm: hfx-test\n    path: ${join(dir, 'htpasswd')}\n` : '';
  if (opts.htpasswd) writeFileSync(join(dir, 'htpasswd'), opts.htpasswd + '\n');
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  let out = '';
  const host = `127.0.0.1:${port}`;
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${out}`);
      try {
        const r = await fetch(`http://${host}/v2/`);
        if (r.status === 200 || r.status === 401) break;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  };
  await launch();
  return {
    host,
    dir,
    log: () => out,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    halt,
    restart: launch,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

/** HFX_TEST_REGISTRY when set (shared, no auth), else a registry of our own. */
export async function registryForTests(): Promise<TestRegistry> {
  const env = process.env.HFX_TEST_REGISTRY;
  const shared = (): never => {
    throw new Error('HFX_TEST_REGISTRY is shared: start a registry of your own (startRegistry) to stop or pause it');
  };
  if (env)
    return {
      host: env,
      dir: '',
      log: () => '',
      stop: () => Promise.resolve(),
      halt: shared,
      restart: shared,
      pause: shared,
      resume: shared,
    };
  return startRegistry();
}
