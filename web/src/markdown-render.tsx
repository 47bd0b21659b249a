import MarkdownIt from 'markdown-it';

/**
 * Markdown to HTML for release notes, which quote what reporters and publishers wrote: raw HTML is
 * never passed through (`html: false` escapes it as text), bare addresses are not turned into
 * links, images are off (notes need none, and a remote image would be a tracking pixel), and a
 * link keeps its target only when it is http(s), mailto or a path on this site.
 */
const md = new MarkdownIt('default', { html: false, linkify: false, typographer: false });
md.disable(['image']);

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
md.validateLink = (url: string): boolean => {
  const m = SCHEME.exec(url.trim());
  return m === null || ['http', 'https', 'mailto'].includes((m[1] ?? '').toLowerCase());
};

// The page has its own h1 and h2: a note's "# Title" becomes an h3, so the outline stays whole.
md.core.ruler.push('hfx_shift_headings', (state) => {
  for (const t of state.tokens)
    if (t.type === 'heading_open' || t.type === 'heading_close') t.tag = `h${Math.min(6, Number(t.tag.slice(1)) + 2)}`;
});

// Links leave the dashboard in a new tab, without the dashboard's address or a handle on its window.
const linkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const t = tokens[idx];
  if (t && !String(t.attrGet('href') ?? '').startsWith('#')) {
    t.attrSet('target', '_blank');
    t.attrSet('rel', 'noopener noreferrer nofollow');
  }
  return linkOpen(tokens, idx, options, env, self);
};

/** The rendered Markdown: the only HTML the dashboard inserts as HTML. */
export function MarkdownHtml({ text }: { text: string }) {
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: md.render(text) }} />;
}
