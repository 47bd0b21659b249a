// Who may import whom. Every .ts/.tsx file under src/, web/src/ and bench/ is read, the module
// specifiers of its imports and re-exports are resolved, and each rule of RULES is checked against
// them. A rule names the files it applies to, what they must not import, and why; an exception
// names one file and one target with its own reason. To add a rule, add a row.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCANNED = ['src', 'web/src', 'bench'];

interface Rule {
  name: string;
  /** The importing files (repository-relative, '/'-separated) the rule applies to. */
  from: (file: string) => boolean;
  /** Whether importing `target` is forbidden: a repository-relative .ts/.tsx path, or a package name or `node:` module as written. */
  forbidden: (target: string, file: string) => boolean;
  because: string;
  exceptions?: readonly { file: string; target: string; because: string }[];
}

const inside =
  (dir: string) =>
  (p: string): boolean =>
    p.startsWith(`${dir}/`);

const RULES: readonly Rule[] = [
  {
    name: 'the engine has one front door',
    from: (f) => !inside('src/engine')(f),
    forbidden: (t) => inside('src/engine')(t) && t !== 'src/engine/index.ts',
    because:
      "src/engine/index.ts is the engine's public API; what it does not export may change without telling its users.",
  },
  {
    name: "routes are the server's own",
    from: (f) => !inside('src/server')(f),
    forbidden: (t) => inside('src/server/routes')(t),
    because: 'a route is schema, role and one call; the shapes it sends are in src/wire, the rules in the services.',
  },
  {
    name: 'the CLI and the client know the server only by its wire protocol',
    from: (f) => inside('src/cli')(f) || inside('src/client')(f),
    forbidden: (t) => inside('src/server')(t),
    because:
      'they talk to a server over HTTP; its shapes are in src/wire, and its code must not load with every command.',
    exceptions: [
      {
        file: 'src/cli/commands/serve/index.ts',
        target: 'src/server/serve.ts',
        because: '`hfx serve` starts the server.',
      },
      {
        file: 'src/cli/commands/serve/index.ts',
        target: 'src/server/web.ts',
        because: '`hfx serve` says where the dashboard is served from.',
      },
      {
        file: 'src/cli/commands/serve/index.ts',
        target: 'src/server/blobs/store.ts',
        because: '`hfx serve` checks whether --blobs names a registry before it starts.',
      },
      {
        file: 'src/cli/commands/serve/index.ts',
        target: 'src/server/reset-password.ts',
        because: "`hfx serve --reset-password` works on the store directly, as the server's operator.",
      },
    ],
  },
  {
    name: 'the dashboard reaches src/ only through the wire protocol',
    from: (f) => inside('web/src')(f),
    forbidden: (t) => inside('src')(t) && !inside('src/wire')(t),
    because:
      'whatever the dashboard imports from src/ enters its bundle; src/wire is made to be shared and holds no server code.',
  },
  {
    name: 'the wire protocol is pure',
    from: (f) => inside('src/wire')(f),
    forbidden: (t) => !inside('src/wire')(t),
    because:
      'it is bundled into the dashboard and loaded by every client: no I/O, no packages, no error table, no server code.',
    exceptions: [
      {
        file: 'src/wire/releases.ts',
        target: 'src/release/schema.ts',
        because: 'a type-only re-export of the manifest type its schema derives; no code enters the bundle.',
      },
      {
        file: 'src/wire/releases.ts',
        target: 'src/release/diff.ts',
        because: "a type-only re-export of the diff's shape; no code enters the bundle.",
      },
    ],
  },
];

interface Import {
  file: string;
  /** As written in the source. */
  specifier: string;
  /** Resolved: a repository-relative path for relative specifiers, else the specifier itself. */
  target: string;
  line: number;
}

function walk(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((d) => {
    if (d.name === 'node_modules' || d.name.startsWith('.')) return [];
    const rel = posix.join(dir, d.name);
    if (d.isDirectory()) return walk(rel);
    return /\.tsx?$/.test(d.name) && !d.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Specifiers of `import … from`, `export … from`, `import '…'` and `import('…')`, with their line numbers. */
function specifiersOf(source: string): { specifier: string; line: number }[] {
  // Comments go (replaced by as many newlines, to keep line numbers): an example in a doc comment is no import.
  const text = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/^\s*\/\/.*$/gm, '');
  const out: { specifier: string; line: number }[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const specifier = m[1];
      if (specifier === undefined) continue;
      out.push({ specifier, line: text.slice(0, m.index).split('\n').length });
    }
  }
  return out;
}

/** A relative specifier as the file it names (`./x.js` is `./x.ts` or `./x.tsx` in the sources). */
function resolveSpecifier(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const abs = resolve(ROOT, dirname(file), specifier);
  const stem = abs.replace(/\.(js|jsx|ts|tsx)$/, '');
  const found = [`${stem}.ts`, `${stem}.tsx`, join(abs, 'index.ts'), abs].find((c) => existsSync(c)) ?? abs;
  return relative(ROOT, found).split('\\').join('/');
}

function importsOf(files: readonly string[], read: (file: string) => string): Import[] {
  return files.flatMap((file) =>
    specifiersOf(read(file)).map(({ specifier, line }) => ({
      file,
      specifier,
      target: resolveSpecifier(file, specifier),
      line,
    })),
  );
}

/** Every import that breaks a rule, as one line each. */
function violations(imports: readonly Import[], rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const r of rules) {
    for (const i of imports) {
      if (!r.from(i.file) || !r.forbidden(i.target, i.file)) continue;
      if (r.exceptions?.some((x) => x.file === i.file && x.target === i.target)) continue;
      out.push(`${i.file}:${i.line} imports ${i.specifier} — ${r.name}: ${r.because}`);
    }
  }
  return out;
}

const files = SCANNED.flatMap(walk);
const imports = importsOf(files, (f) => readFileSync(join(ROOT, f), 'utf8'));

test('the import rules hold in src/, web/src/ and bench/', () => {
  assert.ok(files.length > 100, `only ${files.length} files found under ${SCANNED.join(', ')}`);
  assert.ok(
    imports.some((i) => i.target === 'src/engine/index.ts'),
    "nothing imports the engine's front door: the scan is broken",
  );
  assert.deepEqual(violations(imports, RULES), []);
});

test('every exception is still needed, so that the list only shrinks', () => {
  for (const r of RULES) {
    for (const x of r.exceptions ?? []) {
      assert.ok(
        imports.some((i) => i.file === x.file && i.target === x.target),
        `${r.name}: the exception for ${x.file} → ${x.target} is no longer used; remove it`,
      );
    }
  }
});

test('the scan finds every kind of import, and the rules catch a file reaching into the engine', () => {
  const source = [
    "import { a } from '../engine/ops/apply.js';",
    "import type { B } from '../engine/home/state.js';",
    'import {',
    '  c,',
    '  type D,',
    "} from '../engine/index.js';",
    "export { e } from '../engine/archive/manifest.js';",
    "export * from '../engine/fs/durable.js';",
    "import '../engine/fs/walk.js';",
    "const f = await import('../engine/ops/diff.js');",
    "// import { g } from '../engine/ops/keys.js';",
    "/* import { h } from '../engine/ops/sign.js'; */",
    "const s = 'from ../engine/ops/verify.js';",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(
    specifiersOf(source)
      .map((s) => `${s.line} ${s.specifier}`)
      .sort(),
    [
      '1 ../engine/ops/apply.js',
      '10 ../engine/ops/diff.js',
      '14 node:fs',
      '2 ../engine/home/state.js',
      '3 ../engine/index.js',
      '7 ../engine/archive/manifest.js',
      '8 ../engine/fs/durable.js',
      '9 ../engine/fs/walk.js',
    ],
  );
  const fake = importsOf(['src/client/fake.ts'], () => source);
  const found = violations(fake, RULES);
  assert.equal(found.length, 6, found.join('\n'));
  assert.ok(found.every((v) => v.startsWith('src/client/fake.ts:') && v.includes('the engine has one front door')));
  // Inside the engine, and through the front door, nothing is reported.
  assert.deepEqual(
    violations(
      importsOf(['src/engine/ops/fake.ts'], () => source),
      RULES,
    ),
    [],
  );
  assert.deepEqual(
    violations(
      importsOf(['src/client/fake.ts'], () => "import { c } from '../engine/index.js';"),
      RULES,
    ),
    [],
  );
});

test('the rules catch the dashboard, the CLI and the wire reaching into the server', () => {
  const rulesHit = (file: string, source: string) =>
    violations(
      importsOf([file], () => source),
      RULES,
    ).map((v) => v.split(' — ')[1]?.split(':')[0]);
  assert.deepEqual(
    rulesHit('web/src/views/fake.tsx', "import { TABLE } from '../../../src/server/cases/machine.js';"),
    ['the dashboard reaches src/ only through the wire protocol'],
  );
  assert.deepEqual(rulesHit('web/src/fake.ts', "import { HfxError } from '../../src/errors.js';"), [
    'the dashboard reaches src/ only through the wire protocol',
  ]);
  assert.deepEqual(
    rulesHit('src/cli/commands/fake/index.ts', "import type { UserRow } from '../../../server/routes/admin.js';"),
    ["routes are the server's own", 'the CLI and the client know the server only by its wire protocol'],
  );
  assert.deepEqual(rulesHit('src/wire/fake.ts', "import { HfxError } from '../errors.js';\nimport { z } from 'zod';"), [
    'the wire protocol is pure',
    'the wire protocol is pure',
  ]);
  assert.deepEqual(rulesHit('web/src/fake.ts', "import { TABLE } from '../../src/wire/cases.js';"), []);
  assert.deepEqual(rulesHit('src/server/routes/fake.ts', "import { x } from './admin.js';"), []);
});
