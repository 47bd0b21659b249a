// Release manifests as the API takes and shows them; their schema and diff live in src/release,
// which the dashboard reaches only for these types (no code of it enters the bundle).
export type { ReleaseManifest } from '../release/schema.js';
export type { MapDiff, ReleaseDiff } from '../release/diff.js';
