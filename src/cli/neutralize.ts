/**
 * Makes text from elsewhere (a server's answers and errors, an archive's manifest, a git repository)
 * safe to print on a terminal. Such text may hold escape sequences that recolour, clear the screen,
 * retitle the window, forge an OSC 8 link or answer back through the terminal; a carriage return or
 * backspaces that overwrite what hfx printed before it; C1 controls (0x9b is a CSI on its own for
 * many terminals); or bidi overrides that show text in another order than it is (Trojan Source).
 *
 * Every such character becomes a visible escape (`\x1b`, `\r`, `\u202e`), so the reader sees it is
 * there and nothing acts on it. `\n` and `\t` stay. A backslash is left as it is, so the function is
 * idempotent: text neutralised twice reads the same as once (src/cli/output.ts relies on it).
 */
export function neutralize(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * JSON.stringify escapes C0 controls and lone surrogates but passes DEL, C1, U+2028/U+2029 and bidi
 * controls through; a JSON document shown with `cat` or embedded in a script would carry them raw.
 * This escapes those too as \uXXXX: the same JSON value, only spelled in ASCII for them. They can only
 * occur inside JSON strings, where \uXXXX is always valid.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c.charCodeAt(0), 4)}`);
}

// Bidi: ALM, LRM, RLM, LRE…RLO (embeddings and overrides), LRI…PDI (isolates). U+2028/U+2029 end a
// line in some viewers and in pre-2019 JavaScript.
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029';
// CRLF is only a line end (the CR is harmless before LF); a lone CR could overwrite the line.
// Lone surrogates (no valid pair) are matched by code unit: the regexp has no `u` flag on purpose.
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSAFE = new RegExp(`\\r\\n|[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f${BIDI}]|${LONE_SURROGATE}`, 'g');
const UNSAFE_IN_JSON = new RegExp(`[\\x7f-\\x9f${BIDI}]`, 'g');

const NAMED: Record<string, string> = { '\b': '\\b', '\v': '\\v', '\f': '\\f', '\r': '\\r' };

function visible(c: string): string {
  if (c === '\r\n') return '\n';
  const named = NAMED[c];
  if (named) return named;
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${hex(n, 2)}` : `\\u${hex(n, 4)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
