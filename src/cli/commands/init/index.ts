import { initHome } from '../../../engine/index.js';
import { fmtBytes } from '../../output.js';
import { HOME, defineCommand, int, str } from '../../command.js';

export const initCommand = defineCommand({
  name: 'init',
  summary: 'adopt a directory as a product pack: record the hash of every file',
  usage: 'hfx init --home DIR --product P --version V [--level N] [--health CMD]',
  details:
    'Creates DIR/.hfx/ with the baseline (path, size, mode, sha256 of every file) that `verify` checks against. ' +
    "--health CMD is the product's health check, kept in .hfx/state.json: `hfx apply ID --server` and `hfx update --server` run it after " +
    'applying and revert when it fails (see `hfx apply --help`).',
  examples: [
    '$ hfx init --home /opt/wso2am-4.2.0 --product wso2am --version 4.2.0 --level 12',
    "$ hfx init --home /opt/wso2am-4.2.0 --product wso2am --version 4.2.0 --health 'curl -fsS http://localhost:9443/health'",
  ],
  options: {
    ...HOME,
    product: { type: 'string' },
    version: { type: 'string' },
    level: { type: 'string' },
    health: { type: 'string' },
  },
  async run({ values }, { out, home }) {
    const r = await initHome({
      home: home(values.home),
      product: str(values.product, 'product', 'init'),
      version: str(values.version, 'version', 'init'),
      level: int(values.level, 'level', 0),
      ...(values.health !== undefined ? { health: values.health } : {}),
      onProgress: (d, t) => out.progress('hashing', d, t),
    });
    out.result(r);
    out.line(
      `${out.c.green('✓')} ${r.home} is ${r.product} ${r.version} at update level ${r.level}: ${r.files} files, ${fmtBytes(r.bytes)} recorded`,
    );
    return 0;
  },
});
