import { HfxError } from '../../../errors.js';
import { currentLogin } from '../../../client/config.js';
import { pushToRegistry } from '../../../client/oci.js';
import { push } from '../../../client/remote.js';
import { fmtBytes } from '../../output.js';
import { REGISTRY_FLAGS, REGISTRY_FLAGS_HELP, registryAccess } from '../../registry-flags.js';
import { defineCommand } from '../../command.js';

export const pushCommand = defineCommand({
  name: 'push',
  summary: 'upload a signed archive to the hfx server (for everyone, or for one customer), or to an OCI registry',
  usage:
    'hfx push FILE.zip [--customer C] [--server URL]\n       hfx push FILE.zip --oci REGISTRY/REPO [--username U --password P] [--insecure]',
  details: `The server validates it exactly as \`hfx apply\` would (schema, hashes, paths, a publisher signature it trusts). An archive pushed for a customer is visible only to that customer and the vendor.

--oci REGISTRY/REPO pushes it to any OCI registry instead, as an artifact (artifactType
application/vnd.hfx.archive.v1, the ZIP as its one layer) tagged with the archive's id; installations
apply it with \`hfx apply oci://REGISTRY/REPO:ID\` (docs/oci.md). The archive must be valid and signed.
Pushing it again is a no-op; a tag that holds another archive with the same id is refused.
${REGISTRY_FLAGS_HELP}`,
  examples: [
    '$ hfx push HF-4.2.0-12-0007.zip --customer acme',
    '$ hfx push HF-4.2.0-12-0007.zip --oci registry.example.com/hfx/wso2am    # → …/hfx/wso2am:HF-4.2.0-12-0007',
    '$ HFX_REGISTRY_USER=ci HFX_REGISTRY_PASSWORD=… hfx push HF-4.2.0-12-0007.zip --oci 10.0.0.5:5000/hfx/wso2am --insecure',
  ],
  options: { customer: { type: 'string' }, server: { type: 'string' }, oci: { type: 'string' }, ...REGISTRY_FLAGS },
  args: ['FILE.zip'],
  async run({ values: v, args: [zip] }, { io, out, path }) {
    const file = path(zip);
    const oci = v.oci;
    const access = registryAccess(v, io.env, oci !== undefined, 'push');
    if (oci !== undefined) {
      if (v.customer !== undefined || v.server !== undefined) {
        throw new HfxError('HFX_E_USAGE', '--oci goes without --customer and --server', {
          hint: "A registry has no customers: the archive's own customer field still binds it. See `hfx push --help`.",
        });
      }
      const r = await pushToRegistry(file, oci, access);
      out.result(r);
      out.line(
        `${out.c.green('✓')} ${r.existed ? 'already in the registry' : 'pushed'} ${r.id} (${fmtBytes(r.size)}) as ${r.reference}`,
      );
      out.line(
        `  ${r.manifestDigest}; apply it with: hfx apply oci://${r.reference.slice(0, r.reference.length - r.tag.length)}${r.id}`,
      );
      return 0;
    }
    const r = await push(currentLogin(io.env, v.server), file, v.customer);
    out.result(r);
    out.line(
      `${out.c.green('✓')} ${r.existed ? 'already on the server' : 'pushed'} ${r.id} (${fmtBytes(r.size)})${r.customer ? ` for customer ${r.customer}` : ' for everyone'}`,
    );
    return 0;
  },
});
