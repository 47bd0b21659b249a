// The engine's front door: the CLI, the client, the server, image building and the benches import
// from here and nowhere else inside src/engine (test/import-rules.test.ts checks it). What is not
// named here is the engine's own business and may change without telling anyone.
//
// The operations are loaded when first called, not when this module is: the CLI loads each
// command on demand, and `hfx state` must not pay for the archive reader, the schema library and
// every other operation (about 0.1 s of CPU) because they share a door with it. What is exported
// directly comes from modules that load light.
import type * as Apply from './ops/apply.js';
import type * as Diff from './ops/diff.js';
import type * as Init from './ops/init.js';
import type * as Inspect from './ops/inspect.js';
import type * as ReadArchive from './archive/read-archive.js';
import type * as Records from './home/records.js';
import type * as Recover from './ops/recover.js';
import type * as Revert from './ops/revert.js';
import type * as Session from './ops/session.js';
import type * as Sign from './ops/sign.js';
import type * as Update from './ops/update.js';
import type * as Verify from './ops/verify.js';

// Operations on an installation, each taking its directory as `home`.
export const initHome: typeof Init.initHome = async (opts) => (await import('./ops/init.js')).initHome(opts);
export const applyHotfix: typeof Apply.applyHotfix = async (opts) => (await import('./ops/apply.js')).applyHotfix(opts);
export const abortApply: typeof Apply.abortApply = async (opts) => (await import('./ops/apply.js')).abortApply(opts);
export const revertHotfix: typeof Revert.revertHotfix = async (opts) =>
  (await import('./ops/revert.js')).revertHotfix(opts);
export const updateHome: typeof Update.updateHome = async (opts) => (await import('./ops/update.js')).updateHome(opts);
export const revertUpdate: typeof Update.revertUpdate = async (opts) =>
  (await import('./ops/update.js')).revertUpdate(opts);
export const verifyHome: typeof Verify.verifyHome = async (opts) => (await import('./ops/verify.js')).verifyHome(opts);
export const recoverHome: typeof Recover.recoverHome = async (opts) =>
  (await import('./ops/recover.js')).recoverHome(opts);
export { readStatus, type Pending, type StatusResult } from './ops/status.js';
export { healthReason, type HealthCheck, type HealthOutcome } from './ops/health.js';
export type { ApplyOptions, ApplyResult } from './ops/apply.js';
export type { InitOptions, InitResult } from './ops/init.js';
export type { RevertOptions, RevertResult } from './ops/revert.js';
export type { UpdateOptions, UpdateResult, UpdateRevertResult } from './ops/update.js';
export type { Drift, VerifyResult } from './ops/verify.js';
export type { HomeOptions, ProgressFn } from './ops/session.js';
// Image building holds the installation's lock while it reads the pack.
export const withSession: typeof Session.withSession = async (opts, fn) =>
  (await import('./ops/session.js')).withSession(opts, fn);
// The client picks the updates to download from the server's offer as `hfx update --from` would.
export { chooseChain, type Candidate } from './ops/choose-chain.js';

// Operations on archives and keys.
export const diffTrees: typeof Diff.diffTrees = async (opts) => (await import('./ops/diff.js')).diffTrees(opts);
export const inspectArchive: typeof Inspect.inspectArchive = async (file, home) =>
  (await import('./ops/inspect.js')).inspectArchive(file, home);
export const signArchive: typeof Sign.signArchive = async (file, keyFile) =>
  (await import('./ops/sign.js')).signArchive(file, keyFile);
export { keygen, readKey, type KeygenResult } from './ops/keys.js';
export type { DiffOptions, DiffResult } from './ops/diff.js';
export type { InspectResult } from './ops/inspect.js';

// An installation's files: the client keeps its server link and downloads beside the engine's,
// environment reports hash the expected tree, image building lays the records out as layers.
// Records are read lazily too: validating the manifest in each loads the schema library.
export { layout, type Layout } from './home/layout.js';
export { readState, type AppliedHotfix, type AppliedUpdate, type Channel, type InstallState } from './home/state.js';
export { addTrust, listTrust, removeTrust, type TrustEntry } from './home/trust.js';
export { readBaseline, type Tree } from './home/baseline.js';
export { afterOf, type LoadedRecord } from './home/record-format.js';
export const readRecord = async (
  ...a: Parameters<typeof Records.readRecord>
): Promise<ReturnType<typeof Records.readRecord>> => (await import('./home/records.js')).readRecord(...a);
export const expectedTree = async (
  ...a: Parameters<typeof Records.expectedTree>
): Promise<ReturnType<typeof Records.expectedTree>> => (await import('./home/records.js')).expectedTree(...a);

// The archive format, for the server, which validates uploads with the same reader.
export const openArchive: typeof ReadArchive.openArchive = async (file, limits, trust) =>
  (await import('./archive/read-archive.js')).openArchive(file, limits, trust);
export type { OpenArchive } from './archive/read-archive.js';
export { DEFAULT_LIMITS, type ArchiveLimits } from './archive/limits.js';
export { keyId, parsePublicKey, verifyManifestSignature } from './archive/signature.js';
export { ARCHIVE_KINDS, SEVERITIES } from './archive/format.js';
export type { Manifest, NodeState, Severity } from './archive/manifest.js';

// Durable writes, which the server's blob store, release files and the client's link share.
export { fsyncPathSync, writeFileAtomicSync } from './fs/durable.js';
