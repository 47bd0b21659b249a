// The one grammar of what hfx names: products, releases of an archive, customers, environments,
// users, hotfix and archive ids. Each ends up as a path or URL segment, a file name, a git ref or a
// database key, so the CLI, the archive schema and the server's request schemas check the same rule.

/** The grammar without anchors, for patterns that join names (`PRODUCT/ENV`). */
export const NAME_CHARS = '[A-Za-z0-9][A-Za-z0-9._+-]{0,127}';

/** The grammar as a JSON-schema `pattern`. */
export const NAME_PATTERN = `^${NAME_CHARS}$`;

export const NAME_RE = new RegExp(NAME_PATTERN);

/** What the grammar allows, in the words error messages use. */
export const NAME_RULE = 'letters, digits and . _ + - (1 to 128)';
