// One table of every error hfx can report. The CLI maps `exit` to its exit code,
// the server (later) maps `http` to a status; docs/errors.md documents each row
// and test/errors-doc.test.ts keeps the two in step.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  conflict: 3,
  integrity: 4,
  incompatible: 5,
  busy: 6,
  drift: 7,
  state: 8,
  auth: 9,
  network: 10,
  health: 11,
} as const;

interface ErrorSpec {
  readonly exit: number;
  readonly http: number;
  readonly summary: string;
}

export const ERRORS = {
  HFX_E_USAGE: {
    exit: EXIT.usage,
    http: 400,
    summary: 'The command line is wrong: unknown flag, missing argument or bad value.',
  },
  HFX_E_NOT_FOUND: {
    exit: EXIT.usage,
    http: 404,
    summary: 'A file, key or hotfix named on the command line does not exist.',
  },
  HFX_E_IO: {
    exit: EXIT.internal,
    http: 500,
    summary: 'The file system refused an operation (permissions, disk full, cross-device rename).',
  },
  HFX_E_INTERNAL: {
    exit: EXIT.internal,
    http: 500,
    summary: 'A bug in hfx. The pack is left as before; please report it.',
  },

  HFX_E_CONFLICT: {
    exit: EXIT.conflict,
    http: 409,
    summary: 'Files the hotfix touches were changed locally; nothing was applied.',
  },
  HFX_E_CONFLICT_PENDING: {
    exit: EXIT.conflict,
    http: 409,
    summary: 'A conflict from an earlier apply awaits `hfx apply --continue` or `--abort`.',
  },
  HFX_E_CONFLICT_UNRESOLVED: {
    exit: EXIT.conflict,
    http: 409,
    summary: '`hfx apply --continue` found conflicts without a resolution.',
  },

  HFX_E_SIGNATURE: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'The archive signature does not verify against its manifest.',
  },
  HFX_E_UNSIGNED: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'The archive is not signed and --allow-unsigned was not given.',
  },
  HFX_E_UNTRUSTED: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'The archive is signed by a key the installation does not trust.',
  },
  HFX_E_INTEGRITY: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'Archive bytes do not match the hashes or sizes in the manifest.',
  },
  HFX_E_ARCHIVE: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'The file is not a valid hfx archive (bad ZIP, truncated, CRC error, extra or missing entries).',
  },
  HFX_E_MANIFEST: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'The manifest is missing, too large, not JSON, or does not follow the schema.',
  },
  HFX_E_UNSAFE_PATH: {
    exit: EXIT.integrity,
    http: 422,
    summary:
      'A path would escape the pack or is not portable (.., absolute, links, control characters, case or Unicode twins).',
  },
  HFX_E_TOO_LARGE: {
    exit: EXIT.integrity,
    http: 413,
    summary: 'The archive exceeds a size, count or compression-ratio limit (zip bomb guard).',
  },

  HFX_E_INCOMPATIBLE: {
    exit: EXIT.incompatible,
    http: 409,
    summary: 'The archive is for another product, release or update level.',
  },
  HFX_E_REQUIRES: {
    exit: EXIT.incompatible,
    http: 409,
    summary: 'The archive requires hotfixes that are not applied.',
  },
  HFX_E_NOT_INCLUDED: {
    exit: EXIT.incompatible,
    http: 409,
    summary: 'An applied hotfix is not included in the update; updating would lose its fix.',
  },
  HFX_E_ALREADY_APPLIED: {
    exit: EXIT.incompatible,
    http: 409,
    summary:
      'A hotfix with this id is already applied; or, on `hfx push`, the server or the registry already holds an archive with this id and other content.',
  },

  HFX_E_HEALTH: {
    exit: EXIT.health,
    http: 409,
    summary: 'The health check after an apply failed or timed out; the hotfix was reverted and the pack is as before.',
  },

  HFX_E_BUSY: { exit: EXIT.busy, http: 423, summary: 'Another hfx command holds the lock on this installation.' },

  HFX_E_AUTH: { exit: EXIT.auth, http: 401, summary: 'No login, or the token is unknown, revoked or malformed.' },
  HFX_E_FORBIDDEN: {
    exit: EXIT.auth,
    http: 403,
    summary: 'The login is valid but its role or customer may not do this.',
  },
  HFX_E_RATE_LIMITED: {
    exit: EXIT.auth,
    http: 429,
    summary:
      'Too many failed logins from this address for this user, or too many uploads in flight on one token; wait the Retry-After seconds and try again.',
  },
  HFX_E_TIMEOUT: {
    exit: EXIT.network,
    http: 408,
    summary:
      "The request's headers or body did not arrive in time (a slow or stalled client); the server closed the connection.",
  },
  HFX_E_NETWORK: {
    exit: EXIT.network,
    http: 502,
    summary: 'The hfx server could not be reached or answered with a server error.',
  },
  HFX_E_UNAVAILABLE: {
    exit: EXIT.network,
    http: 503,
    summary:
      'The hfx server lost or cannot reach its database (a restart, a failover) or the registry that holds its archives (`hfx serve --blobs oci://…`). Reads can be retried, and hfx retries them itself; check whether a write took effect before sending it again.',
  },
  HFX_E_INSECURE: {
    exit: EXIT.usage,
    http: 400,
    summary:
      '`hfx login` to a plain http:// URL on another host would send the token in clear; use https://, or --insecure on a network you trust.',
  },
  HFX_E_TARGET_BLOCKED: {
    exit: EXIT.usage,
    http: 400,
    summary:
      'A webhook target is, or resolves to, a loopback, private, link-local or other internal address; the server operator can open a range with `hfx serve --webhook-allow CIDR`.',
  },
  HFX_E_REGISTRY: {
    exit: EXIT.network,
    http: 502,
    summary:
      'A container registry refused or failed a request of `hfx image --push` or `--base`, `hfx push --oci`, or `hfx apply oci://…` (the message has its HTTP status and answer).',
  },
  HFX_E_ARTIFACT: {
    exit: EXIT.integrity,
    http: 422,
    summary:
      'What a registry or OCI layout holds under that name is not an hfx archive artifact (another artifactType or layer media type, not exactly one layer, an index), or it holds an archive other than the one named; nothing was changed.',
  },
  HFX_E_METADATA: {
    exit: EXIT.integrity,
    http: 422,
    summary:
      'TUF metadata is not signed by the keys and threshold the trusted root names, a root is signed by fewer keys than its threshold, or its parts do not fit together (mix-and-match).',
  },
  HFX_E_EXPIRED: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'TUF metadata has expired (a freeze attack, or a clock problem).',
  },
  HFX_E_ROLLBACK: {
    exit: EXIT.integrity,
    http: 422,
    summary: 'TUF metadata is older than metadata this installation already trusts (a rollback).',
  },

  HFX_E_DRIFT: {
    exit: EXIT.drift,
    http: 409,
    summary: '`hfx verify` found files that differ from the recorded state.',
  },

  HFX_E_NOT_INITIALISED: {
    exit: EXIT.state,
    http: 404,
    summary: 'The directory is not an hfx installation (no .hfx/state.json).',
  },
  HFX_E_ALREADY_INITIALISED: {
    exit: EXIT.state,
    http: 409,
    summary: '`hfx init` on a directory that is already an installation.',
  },
  HFX_E_NOT_APPLIED: {
    exit: EXIT.state,
    http: 404,
    summary: 'The hotfix named is not applied (or nothing is applied).',
  },
  HFX_E_REVERT_BLOCKED: {
    exit: EXIT.state,
    http: 409,
    summary: 'A later hotfix touches the same files; revert that one first.',
  },
  HFX_E_MODIFIED: {
    exit: EXIT.state,
    http: 409,
    summary: 'Files a revert would restore were changed after the hotfix was applied.',
  },
  HFX_E_RECOVERY: {
    exit: EXIT.state,
    http: 500,
    summary: 'An interrupted operation could not be finished or undone automatically.',
  },
  HFX_E_STATE: { exit: EXIT.state, http: 500, summary: 'The .hfx state files are unreadable or inconsistent.' },

  HFX_E_RELEASE_EXISTS: {
    exit: EXIT.state,
    http: 409,
    summary:
      'A release manifest of that version already exists: in releases/, or on the hfx server with other content.',
  },
  HFX_E_ALREADY_PUBLISHED: {
    exit: EXIT.state,
    http: 409,
    summary: 'The release is already published; a published release does not change.',
  },
  HFX_E_BUILD: {
    exit: EXIT.internal,
    http: 500,
    summary:
      'A build (an image for `hfx release new`, or the product for `hfx create`) failed or named no result; nothing was written.',
  },

  HFX_E_GIT: {
    exit: EXIT.internal,
    http: 500,
    summary: 'A git command failed, or git is not installed; the message names the command and what git said.',
  },
  HFX_E_DIRTY: {
    exit: EXIT.state,
    http: 409,
    summary: 'The git working tree has uncommitted changes; commit or stash them first. Nothing was changed.',
  },
  HFX_E_GIT_STATE: {
    exit: EXIT.state,
    http: 409,
    summary:
      'The repository does not allow the step: the hotfix branch or its tag already exists, or the branch has unpushed commits. Nothing was changed.',
  },
  HFX_E_MERGE_CONFLICT: {
    exit: EXIT.conflict,
    http: 409,
    summary:
      '`hfx finish` stopped on a merge conflict (or found a merge in progress): resolve, commit, and run it again.',
  },
  HFX_E_REVIEW_WARNINGS: {
    exit: EXIT.drift,
    http: 409,
    summary:
      '`hfx review --strict` found warnings: files outside the scope, merge commits, fixes not on the main branch, version-only commits.',
  },
  HFX_E_TRANSITION: {
    exit: EXIT.state,
    http: 409,
    summary: 'The case is not in a state that allows this step (see docs/cases.md); nothing was changed.',
  },
  HFX_E_GUARD: {
    exit: EXIT.state,
    http: 409,
    summary:
      "A case step's condition does not hold (root cause, test evidence, failing regression, archive, window, sign-off, presence); nothing was changed.",
  },
  HFX_E_JUNIT: {
    exit: EXIT.usage,
    http: 422,
    summary: 'Test evidence is not well-formed JUnit XML with a <testsuites> or <testsuite> root.',
  },
  HFX_E_NOT_PROPAGATED: {
    exit: EXIT.state,
    http: 409,
    summary:
      'The hotfix is not verifiably present (by content hash) in every environment of the pipeline; propagate it first.',
  },
  HFX_E_APPROVAL_REQUIRED: {
    exit: EXIT.state,
    http: 409,
    summary:
      'Deploying a hotfix to Production without it being in the environment before needs an approval with a reason, by a release manager.',
  },
  HFX_E_CONTENT_MISMATCH: {
    exit: EXIT.integrity,
    http: 422,
    summary: "The file hashes given for a merge do not match the hotfix's content; nothing was recorded.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class HfxError extends Error {
  readonly code: ErrorCode;
  /** What the user can do next; printed under the message. */
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HfxError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isHfxError(e: unknown, code?: ErrorCode): e is HfxError {
  return e instanceof HfxError && (code === undefined || e.code === code);
}

/** Wraps a Node fs error as HFX_E_IO, keeping HfxErrors as they are. */
export function asHfxError(e: unknown, what: string): HfxError {
  if (e instanceof HfxError) return e;
  const err = e as NodeJS.ErrnoException | null | undefined;
  if (err && typeof err.code === 'string') {
    const hint =
      err.code === 'ENOSPC'
        ? 'Free some disk space and run the command again.'
        : err.code === 'EACCES' || err.code === 'EPERM'
          ? 'Run hfx as the user that owns the pack.'
          : err.code === 'EXDEV'
            ? 'Part of the pack is on another file system; hfx needs .hfx/ on the same one.'
            : undefined;
    return new HfxError('HFX_E_IO', `${what}: ${err.message}`, { cause: e, ...(hint ? { hint } : {}) });
  }
  const message = String((e as Error | null | undefined)?.message ?? e);
  return new HfxError('HFX_E_INTERNAL', `${what}: ${message}`, { cause: e });
}
