// Container image references, parsed the way docker and the OCI distribution reference grammar do:
//
//   reference := [host[:port]/]path[:tag][@digest]
//
// The first path component is a registry host only when it contains "." or ":", is "localhost",
// or has an upper-case letter; otherwise the image is on Docker Hub (docker.io), where a
// one-component path lives under "library/". So `registry.example.com:5000/team/api:1.7.1` is host
// registry.example.com:5000, path team/api, tag 1.7.1, while `nginx:1.25` is
// docker.io/library/nginx tag 1.25: a ":" before the last "/" belongs to the host (a port), one
// after it starts the tag.

import { HfxError } from '../errors.js';

const DEFAULT_REGISTRY = 'docker.io';

export interface ImageRef {
  /** host[:port], e.g. `registry.example.com:5000`; `docker.io` when the reference names none. */
  registry: string;
  /** the repository path on the registry, e.g. `team/api`, `library/nginx`. */
  repository: string;
  tag: string | undefined;
  /** `sha256:<64 hex>` or `sha512:<128 hex>`. */
  digest: string | undefined;
  /** The fully qualified form: registry/repository[:tag][@digest]. */
  full: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::([0-9]{1,5}))?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGESTS: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };
/** docker's limit on the name part (host and path). */
const NAME_MAX = 255;

function invalid(ref: string, why: string): never {
  throw new HfxError('HFX_E_USAGE', `invalid image reference ${JSON.stringify(ref)}: ${why}`, {
    hint: 'Write it as [host[:port]/]path[:tag][@sha256:DIGEST], e.g. registry.example.com:5000/team/api:1.7.1.',
  });
}

/** Checks a `sha256:…` (or `sha512:…`) digest; returns it, or throws HFX_E_USAGE. */
export function checkDigest(digest: string, ref = digest): string {
  const i = digest.indexOf(':');
  const algo = i < 0 ? '' : digest.slice(0, i);
  const hex = i < 0 ? '' : digest.slice(i + 1);
  const re = DIGESTS[algo];
  if (!re) invalid(ref, `digest ${JSON.stringify(digest)} is not sha256:<64 hex> (or sha512:<128 hex>)`);
  if (!re.test(hex)) invalid(ref, `the ${algo} digest must be ${algo === 'sha256' ? 64 : 128} lower-case hex digits`);
  return digest;
}

/** Parses an image reference; throws HFX_E_USAGE, saying what is wrong, when it is not one. */
export function parseImageRef(ref: string): ImageRef {
  if (ref === '') invalid(ref, 'it is empty');
  // eslint-disable-next-line no-control-regex -- the control characters are what the check refuses
  if (/[\s\u0000-\u001f\u007f]/.test(ref)) invalid(ref, 'it contains white space or control characters');
  if (ref.length > 1024) invalid(ref, 'it is too long');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = checkDigest(rest.slice(at + 1), ref);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      invalid(ref, `tag ${JSON.stringify(tag)} must be 1 to 128 of letters, digits, _ . - and not start with . or -`);
  }
  if (rest === '') invalid(ref, 'the repository name is missing');
  if (rest.length > NAME_MAX) invalid(ref, `the name is longer than ${NAME_MAX} characters`);

  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    const m = HOST.exec(first);
    if (!m)
      invalid(
        ref,
        `registry host ${JSON.stringify(first)} is not a host name or [IPv6] address with an optional :port`,
      );
    if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) invalid(ref, `port ${m[1]} is out of range`);
    registry = first === 'index.docker.io' ? DEFAULT_REGISTRY : first;
    path = rest.slice(slash + 1);
  }
  if (path === '') invalid(ref, 'the repository path is missing');
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) {
      invalid(
        ref,
        c === ''
          ? 'the repository path has an empty component'
          : `repository path component ${JSON.stringify(c)} must be lower-case letters and digits, separated by . _ __ or -`,
      );
    }
  }
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  const full = `${registry}/${path}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return { registry, repository: path, tag, digest, full };
}

/** The image `base` names, pinned to `digest` instead of its tag and old digest. */
export function withDigest(base: ImageRef, digest: string): ImageRef {
  checkDigest(digest);
  return parseImageRef(`${base.registry}/${base.repository}@${digest}`);
}
