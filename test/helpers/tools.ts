// System tools a suite runs: a missing one fails the suite with the command that installs it.
import { spawnSync } from 'node:child_process';

const PACKAGE: Record<string, string> = {
  skopeo: 'skopeo',
  umoci: 'umoci',
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
};

/** Throws, naming the exact apt-get command, unless every tool is on PATH. */
export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) {
    const pkgs = [...new Set(missing.map((t) => PACKAGE[t] ?? t))];
    throw new Error(
      `${missing.join(', ')} not installed: run \`sudo apt-get install -y ${pkgs.join(' ')}\` (npm test installs them when run as root)`,
    );
  }
}
