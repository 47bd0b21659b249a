import { HfxError } from '../errors.js';
import type { PublishTarget } from '../release/publish.js';
import type { ReleaseManifest } from '../release/schema.js';
import type { ServerLogin } from './config.js';
import { userRemote } from './environments.js';
import { call } from './http.js';

export interface PushedManifest {
  product: string;
  version: string;
  /** The server had this release already (the same content; its published_at is the first one's). */
  existed: boolean;
  /** The manifest as the server keeps it. */
  manifest: ReleaseManifest;
}

/** Sends a published manifest to the product named by its `name`. */
export async function pushManifest(login: ServerLogin, m: ReleaseManifest): Promise<PushedManifest> {
  if (m.status !== 'published') {
    throw new HfxError('HFX_E_MANIFEST', `release ${m.version} is a draft; the server keeps published releases only`, {
      hint: `Publish it first: \`hfx release publish ${m.version} --server\`.`,
    });
  }
  return call<PushedManifest>(userRemote(login), 'POST', `/v1/products/${encodeURIComponent(m.name)}/manifests`, m);
}

/**
 * The hfx server as a place `hfx release publish` publishes to. The server answers the same
 * release twice with 200 (even with another published_at), as PublishTarget requires.
 */
export function serverTarget(login: ServerLogin): PublishTarget {
  return {
    name: `hfx-server ${login.url}`,
    publish: async (m) => {
      await pushManifest(login, m);
    },
  };
}
