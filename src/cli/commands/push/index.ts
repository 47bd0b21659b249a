import { currentLogin } from '../../../client/config.js';
import { push } from '../../../client/remote.js';
import { fmtBytes } from '../../output.js';
import { defineCommand } from '../../command.js';

export const pushCommand = defineCommand({
  name: 'push',
  summary: 'upload a signed archive to the hfx server (for everyone, or for one customer)',
  usage: 'hfx push FILE.zip [--customer C] [--server URL]',
  details: 'The server validates it exactly as `hfx apply` would (schema, hashes, paths, a publisher signature it trusts). An archive pushed for a customer is visible only to that customer and the vendor.',
  examples: ['$ hfx push HF-4.2.0-12-0007.zip --customer acme'],
  options: { customer: { type: 'string' }, server: { type: 'string' } },
  args: ['FILE.zip'],
  async run({ values: v, args: [zip] }, { io, out, path }) {
    const file = path(zip);
    const r = await push(currentLogin(io.env, v.server), file, v.customer);
    out.result(r);
    out.line(`${out.c.green('✓')} ${r.existed ? 'already on the server' : 'pushed'} ${r.id} (${fmtBytes(r.size)})${r.customer ? ` for customer ${r.customer}` : ' for everyone'}`);
    return 0;
  },
});
