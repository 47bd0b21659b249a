// Scope globs for `hfx review --scope`: pure, no file system.
//
//   *      any characters except /          **   any characters, / included (any depth)
//   ?      one character except /           [ab] [!ab] [a-z]   one character of (or not of) a set
//
// A pattern with a / (other than a trailing one) is anchored at the repository root; one without
// matches at any depth, as in .gitignore (`*.ts`). A pattern also matches everything under a
// directory it matches: `src/auth` is `src/auth/**`.

const SPECIAL = /[\\^$.|+(){}]/;

export function globToRegExp(pattern: string): RegExp {
  let p = pattern.replace(/^\.\//, '');
  const anchored = p.startsWith('/') || p.replace(/\/+$/, '').includes('/');
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p.charAt(i);
    if (ch === '*') {
      if (p[i + 1] === '*') {
        const atStart = i === 0 || p[i - 1] === '/';
        i++;
        if (atStart && p[i + 1] === '/') {
          re += '(?:.*/)?';
          i++;
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = p.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let body = p.slice(i + 1, end);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^/' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
        i = end;
      }
    } else re += SPECIAL.test(ch) ? '\\' + ch : ch;
  }
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?$`);
}

/** Compiles patterns once; the result tells whether a repository path is inside any of them. */
export function scopeMatcher(patterns: readonly string[]): (path: string) => boolean {
  const res = patterns.filter((p) => p.trim() !== '').map(globToRegExp);
  return (path) => res.some((r) => r.test(path));
}
