// The wire protocol: every JSON shape the server sends and receives, in one place that the server,
// the client, the CLI and the dashboard all import. Pure: no I/O, no server code, no error table
// (test/import-rules.test.ts checks it), so the dashboard's bundle takes only what it uses.
export * from './admin.js';
export * from './archives.js';
export * from './cases.js';
export * from './environments.js';
export * from './fleet.js';
export * from './metadata.js';
export * from './notify.js';
export * from './overview.js';
export type * from './releases.js';
export * from './retry.js';
export * from './roles.js';
export * from './rollouts.js';
