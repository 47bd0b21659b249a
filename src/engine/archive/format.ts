// Kept apart from manifest.ts (and its schema library) so that signatures and the trust store,
// which the front door loads for every command, load light.

export const ARCHIVE_FORMAT = 'hfx-archive/1';
export const MANIFEST_NAME = 'hfx-manifest.json';
export const SIGNATURE_NAME = 'hfx-signature.json';
export const PAYLOAD_PREFIX = 'payload/';

// Named here so that the CLI can check a flag against them without loading the schema.
export const SEVERITIES = ['S1', 'S2', 'S3', 'S4'] as const;
export const ARCHIVE_KINDS = ['hotfix', 'update'] as const;
