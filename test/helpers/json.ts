/**
 * JSON as a test handles it: a server's response body, the CLI's --json output, or a document a
 * test damages on purpose (a manifest with a field of the wrong type). Tests assert on an answer's
 * shape at run time; declaring a type for each answer first would claim, unchecked, exactly what
 * the test is there to check (see the test block of eslint.config.js), and no type describes every
 * way a document can be wrong. Code that reads a part of an answer more than once gives that part
 * a type where it does.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one `any` in test/, for the reasons above
export type Json = any;
