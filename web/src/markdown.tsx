import { lazy, Suspense } from 'react';
import { Loading } from './ui.js';

// markdown-it is a third of the app's weight: loaded when notes are first shown, not with the first view.
const Rendered = lazy(() => import('./markdown-render.js').then((m) => ({ default: m.MarkdownHtml })));

/** Release notes and other Markdown from the server, rendered safely (see markdown-render.tsx). */
export function Markdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<Loading what="the notes" />}>
      <Rendered text={text} />
    </Suspense>
  );
}
