// Where an archive artifact is: `oci://HOST[:PORT]/REPO[:ID][@sha256:…]` in a registry, or
// `oci-layout:DIR:ID` in an OCI image layout (what `skopeo copy … oci:DIR:TAG` writes).
import { HfxError } from '../errors.js';
import { isValidRepository } from '../image/registry.js';
import { ARCHIVE_ID, OCI_TAG, archiveTag } from './artifact.js';

export const OCI_SCHEME = 'oci://';
export const LAYOUT_SCHEME = 'oci-layout:';

export interface RegistryRepo {
  /** host[:port] */
  registry: string;
  repository: string;
}

export type ArchiveSource =
  | (RegistryRepo & { kind: 'registry'; tag: string | null; digest: string | null; id: string | null })
  | { kind: 'layout'; dir: string; tag: string; id: string | null };

export function isOciSource(s: string): boolean {
  return s.startsWith(OCI_SCHEME) || s.startsWith(LAYOUT_SCHEME);
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function bad(s: string, why: string, example: string): HfxError {
  return new HfxError('HFX_E_USAGE', `${JSON.stringify(s)}: ${why}`, { hint: `Write it as ${example}.` });
}

function hostAndRepo(s: string, rest: string, example: string): RegistryRepo {
  const slash = rest.indexOf('/');
  if (slash <= 0) throw bad(s, 'name the registry and the repository', example);
  const registry = rest.slice(0, slash);
  const repository = rest.slice(slash + 1);
  if (!HOST.test(registry)) throw bad(s, `${JSON.stringify(registry)} is not a host[:port]`, example);
  if (!isValidRepository(repository))
    throw bad(
      s,
      `the repository ${JSON.stringify(repository)} must be lowercase letters, digits and separators (. _ - /)`,
      example,
    );
  return { registry, repository };
}

/** `REGISTRY/REPO` for `hfx push --oci` and `hfx serve --blobs`; an `oci://` in front is allowed. The tag is the archive's id, never given. */
export function parseRegistryRepo(s: string): RegistryRepo {
  const example = 'HOST[:PORT]/REPOSITORY, e.g. registry.example.com/hfx/wso2am (each archive is tagged with its id)';
  const rest = s.startsWith(OCI_SCHEME) ? s.slice(OCI_SCHEME.length) : s;
  const lastSlash = rest.lastIndexOf('/');
  if (rest.includes('@') || (lastSlash >= 0 && rest.slice(lastSlash).includes(':')))
    throw bad(s, 'give the repository alone: each archive is tagged with its own id', example);
  return hostAndRepo(s, rest.replace(/\/+$/, ''), example);
}

/** The archive id or tag after the repository: an id is mapped to its tag; a tag no id maps to (`_…`) is taken as it is. */
function idOrTag(s: string, v: string, example: string): { tag: string; id: string | null } {
  if (ARCHIVE_ID.test(v)) return { tag: archiveTag(v), id: v };
  if (OCI_TAG.test(v)) return { tag: v, id: null };
  throw bad(s, `${JSON.stringify(v)} is neither an archive id nor a tag`, example);
}

/** Parses `oci://…` or `oci-layout:DIR:ID`; `resolve` makes DIR absolute. */
export function parseArchiveSource(s: string, resolve: (p: string) => string): ArchiveSource {
  if (s.startsWith(LAYOUT_SCHEME)) {
    const example = 'oci-layout:DIR:ID, e.g. oci-layout:/media/usb/hfx:HF-4.2.0-12-0007';
    const rest = s.slice(LAYOUT_SCHEME.length);
    const colon = rest.lastIndexOf(':');
    if (colon <= 0 || colon === rest.length - 1) throw bad(s, 'name the layout directory and the archive id', example);
    return { kind: 'layout', dir: resolve(rest.slice(0, colon)), ...idOrTag(s, rest.slice(colon + 1), example) };
  }
  const example =
    'oci://HOST[:PORT]/REPOSITORY:ID, e.g. oci://registry.example.com/hfx/wso2am:HF-4.2.0-12-0007 (or …@sha256:DIGEST)';
  if (!s.startsWith(OCI_SCHEME)) throw bad(s, 'not an oci:// or oci-layout: reference', example);
  let rest = s.slice(OCI_SCHEME.length);
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(s, `${JSON.stringify(digest)} is not a sha256:… digest`, example);
  }
  const lastSlash = rest.lastIndexOf('/');
  if (lastSlash <= 0) throw bad(s, 'name the registry and the repository', example);
  const colon = rest.lastIndexOf(':');
  let named: { tag: string; id: string | null } = { tag: '', id: null };
  if (colon > lastSlash) {
    named = idOrTag(s, rest.slice(colon + 1), example);
    rest = rest.slice(0, colon);
  } else if (digest === null) throw bad(s, 'name the archive: its id after the repository, or @sha256:…', example);
  const repo = hostAndRepo(s, rest, example);
  return { kind: 'registry', ...repo, tag: named.tag || null, digest, id: named.id };
}

export function describeSource(src: ArchiveSource): string {
  if (src.kind === 'layout') return `${LAYOUT_SCHEME}${src.dir}:${src.id ?? src.tag}`;
  return `${OCI_SCHEME}${src.registry}/${src.repository}${src.tag ? `:${src.id ?? src.tag}` : ''}${src.digest ? `@${src.digest}` : ''}`;
}
