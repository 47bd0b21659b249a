// Property: whatever a client sends — malformed path parameters, query strings, JSON bodies and
// content types, with an admin token or with none — the server answers below 500; every error
// is a JSON body { error: { code, message } } whose code is in src/errors.ts (and never shows the
// server's file system paths); a request that is malformed by construction gets a 4xx; and the
// server keeps serving. The routes and their schemas come from the running server's
// /openapi.json, so new routes are fuzzed without changes here.
//
// One fast-check run per route (so every broken route is reported, not just the first one),
// then a table of edge cases found by hand. Reproduce with HFX_SERVER_FUZZ_SEED=…; more
// requests with HFX_SERVER_FUZZ_RUNS=… (per route and token kind; default 7).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERRORS } from '../src/errors.js';
import { world } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { rawExchange } from './helpers/raw-http.js';
import { api, STORES, testServer } from './helpers/server.js';

const SEED = Number(process.env.HFX_SERVER_FUZZ_SEED ?? 20260214);
const RUNS = Number(process.env.HFX_SERVER_FUZZ_RUNS ?? 7);

interface Schema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
}

interface Route {
  method: string;
  /** OpenAPI form: /v1/archives/{id} */
  path: string;
  pathParams: { name: string; schema: Schema }[];
  query: { name: string; schema: Schema; required: boolean }[];
  body: Schema | null;
  /** Answers without a login (the rest refuse anonymous callers). */
  public: boolean;
  /** Methods the same path does not have. */
  otherMethods: string[];
}

type TokenKind = 'admin' | 'none';

/** One request, and whether it is malformed by construction (then only a 4xx is right). */
interface Case {
  kind: string;
  token: TokenKind;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  mustFail: boolean;
}

interface Fixture {
  archiveId: string;
  archive: Uint8Array;
  customer: string;
}

// ---------------------------------------------------------------------------------------------
// Junk

const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%00',
  '.',
  '..',
  '../../../etc/passwd',
  '\ud800',
  '\udfff\ud800',
  '🙂'.repeat(40),
  '\u202egnp.exe',
  'İı',
  'ß',
  'e\u0301',
  'null',
  'true',
  '0',
  '-1',
  '1e400',
  'NaN',
  '[]',
  '{}',
  '<script>alert(1)</script>',
  "' or 1=1 --",
  '$1',
  '\\',
  '\r\n',
  '\t',
  'x'.repeat(129),
  'é'.repeat(300),
  'a/b',
  'a?b#c',
  '%zz',
];
const junkString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 200, max: 3000 }), fc.constantFrom('x', 'é', '🙂', '\u0000', '%'))
      .map(([n, c]) => c.repeat(n)),
  },
);
/** Strings that are long for a URL but stay under Node's 16 KiB header limit. */
const hugeBodyString = fc
  .tuple(fc.integer({ min: 1000, max: 200_000 }), fc.constantFrom('x', 'é', '🙂', '\u0000'))
  .map(([n, c]) => c.repeat(n));
const deepText = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']))
  .map(([d, [open, close]]) => `${open.repeat(d)}1${close.repeat(d)}`);
const junkJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  junkString,
  hugeBodyString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, [], {}, [1, 2], [[]], [{}], {
    a: { b: { c: [] } },
  }),
);

// ---------------------------------------------------------------------------------------------
// Valid values, from a schema, to start from

function example(s: Schema, base: string): unknown {
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'string':
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      return (s.minLength ?? 0) > base.length ? base.padEnd(s.minLength!, 'x') : base;
    case 'integer':
    case 'number':
      return s.minimum ?? 0;
    case 'array':
      return [];
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) o[k] = example(s.properties?.[k] ?? {}, 'fz1');
      return o;
    }
    default:
      return 'fz1';
  }
}

/** A value no coercion can turn into a valid one for this schema. */
function wrongType(s: Schema): fc.Arbitrary<unknown> {
  return s.type === 'array' ? fc.constantFrom({}, { a: [1] }) : fc.constantFrom({}, { a: 1 }, [1, 2], [[]], [{}, {}]);
}

/** Over a length or range limit (only for constrained fields). */
function overLimit(s: Schema, maxLen: number): fc.Arbitrary<unknown> | null {
  if (s.type === 'string' && (s.maxLength !== undefined || s.pattern || s.format || s.enum)) {
    const min = Math.max(s.maxLength ?? 128, 128) + 1;
    return fc.integer({ min, max: Math.max(min, maxLen) }).map((n) => 'x'.repeat(n));
  }
  // (A maximum at the largest safe integer has nothing above it that JSON numbers hold exactly.)
  if (s.type === 'integer' && s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER)
    return fc.integer({ min: s.maximum + 1, max: Number.MAX_SAFE_INTEGER });
  if (s.type === 'integer' && s.minimum !== undefined)
    return fc.integer({ min: Number.MIN_SAFE_INTEGER, max: s.minimum - 1 });
  return null;
}

/** encodeURIComponent, with lone surrogates (which it refuses) sent as U+FFFD, as a browser would. */
function enc(x: string): string {
  return encodeURIComponent(
    x.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

const BAD_ESCAPES = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', 'a%2', '%%41'];
const WRONG_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/zip',
  'image/png',
  'application/jsonx',
];
const RAW_QUERY = fc.string({
  unit: fc.constantFrom('%', '&', '=', '+', '[', ']', '?', ';', 'a', '0', '.', ',', '\u00e9'),
  maxLength: 30,
});

function caseArb(r: Route, fx: Fixture): fc.Arbitrary<Case> {
  const pathBase: Record<string, string> = {};
  for (const p of r.pathParams) {
    pathBase[p.name] =
      r.path.startsWith('/v1/archives') || r.path.startsWith('/v1/fleet/hotfixes')
        ? fx.archiveId
        : r.path.startsWith('/v1/customers')
          ? fx.customer
          : 'demo';
  }
  const queryBase: Record<string, string> = {};
  for (const q of r.query.filter((x) => x.required))
    queryBase[q.name] = String(
      example(q.schema, q.name === 'product' ? 'demo' : q.name === 'release' ? '1.0.0' : 'fz1'),
    );
  const bodyBase = r.body ? (example(r.body, 'fz1') as Record<string, unknown>) : undefined;
  const strictQuery = r.query.length > 0;

  /** Assembles a request; `raw*` parts are put into the URL as they are. */
  const make = (
    kind: string,
    mustFail: boolean,
    o: {
      path?: Record<string, string>;
      rawPath?: Record<string, string>;
      query?: [string, string][];
      rawQuery?: string;
      body?: unknown;
      text?: string;
      bytes?: Uint8Array;
      type?: string;
      headers?: Record<string, string>;
    } = {},
  ) =>
    fc.constantFrom<TokenKind>('admin', 'none').map((token): Case => {
      const url = r.path.replace(
        /\{(\w+)\}/g,
        (_m, name: string) => o.rawPath?.[name] ?? enc(o.path?.[name] ?? pathBase[name] ?? 'fz1'),
      );
      const q =
        (o.query ?? Object.entries(queryBase)).map(([k, val]) => `${enc(k)}=${enc(val)}`).join('&') +
        (o.rawQuery ?? '');
      const headers: Record<string, string> = { ...o.headers };
      let body: string | Uint8Array | undefined;
      if (r.method !== 'GET') {
        if (o.bytes) body = o.bytes;
        else if (o.text !== undefined) body = o.text;
        else if (o.body !== undefined || bodyBase !== undefined) body = JSON.stringify(o.body ?? bodyBase);
        if (body !== undefined) headers['content-type'] = o.type ?? (o.bytes ? 'application/zip' : 'application/json');
      }
      // Without a login only the public routes may answer 2xx.
      return {
        kind,
        token,
        method: r.method,
        path: q ? `${url}?${q}` : url,
        headers,
        ...(body !== undefined ? { body } : {}),
        mustFail: mustFail || (token === 'none' && !r.public),
      };
    });

  const arbs: fc.Arbitrary<Case>[] = [];
  // Path parameters
  for (const p of r.pathParams) {
    arbs.push(
      junkString.filter((x) => x.length < 4000).chain((x) => make('path:junk', false, { path: { [p.name]: x } })),
    );
    arbs.push(
      fc.constantFrom(...BAD_ESCAPES).chain((x) => make('path:bad-escape', true, { rawPath: { [p.name]: x } })),
    );
    arbs.push(
      fc
        .constantFrom('%2e%2e', '%2E', '..%2F..%2Fv1%2Fusers')
        .chain((x) => make('path:dots', false, { rawPath: { [p.name]: x } })),
    );
    const over = overLimit(p.schema, 5000);
    if (over) arbs.push(over.chain((x) => make('path:over-limit', true, { path: { [p.name]: String(x) } })));
  }
  // Query strings
  const base = Object.entries(queryBase);
  arbs.push(
    fc
      .tuple(
        junkString.filter((k) => k.length > 0 && k.length < 200 && !r.query.some((q) => q.name === k)),
        junkString.filter((x) => x.length < 2000),
      )
      .chain(([k, x]) => make('query:unknown', strictQuery, { query: [...base, [k, x]] })),
  );
  arbs.push(RAW_QUERY.chain((x) => make('query:raw', false, { rawQuery: `${base.length ? '&' : ''}${x}` })));
  for (const q of r.query) {
    const others = base.filter(([k]) => k !== q.name);
    arbs.push(
      junkString
        .filter((x) => x.length < 4000)
        .chain((x) => make('query:junk', false, { query: [...others, [q.name, x]] })),
    );
    arbs.push(
      fc
        .tuple(fc.constantFrom('a', '1'), fc.constantFrom('b', '2'))
        .chain(([a, b]) => make('query:repeated', true, { query: [...others, [q.name, a], [q.name, b]] })),
    );
    if (q.schema.type === 'integer') {
      arbs.push(
        fc
          .constantFrom('abc', '1.5', '-1', '-0.5', 'Infinity', 'NaN', '1e400', '1,2', '--1')
          .chain((x) => make('query:not-an-integer', true, { query: [...others, [q.name, x]] })),
      );
      arbs.push(
        fc
          .bigInt({ min: 2n ** 31n - 1n, max: 10n ** 30n })
          .chain((x) =>
            make('query:huge-integer', q.schema.maximum !== undefined, { query: [...others, [q.name, String(x)]] }),
          ),
      );
    }
    const over = overLimit(q.schema, 5000);
    if (over && q.schema.type === 'string')
      arbs.push(over.chain((x) => make('query:over-limit', true, { query: [...others, [q.name, String(x)]] })));
    if (q.required) arbs.push(make('query:missing-required', true, { query: others }));
  }
  // Bodies
  if (r.method !== 'GET' && r.body && bodyBase) {
    const props = Object.entries(r.body.properties ?? {});
    const text = JSON.stringify(bodyBase);
    for (const k of r.body.required ?? []) {
      const { [k]: _drop, ...rest } = bodyBase;
      arbs.push(make('body:missing-required', true, { body: rest }));
    }
    arbs.push(
      fc
        .tuple(
          fc
            .string({ minLength: 1, maxLength: 20 })
            .filter((k) => !(k in (r.body!.properties ?? {})) && k !== '__proto__'),
          junkJson,
        )
        .chain(([k, x]) =>
          make('body:extra-field', r.body!.additionalProperties === false, { body: { ...bodyBase, [k]: x } }),
        ),
    );
    for (const [k, s] of props) {
      arbs.push(wrongType(s).chain((x) => make('body:wrong-type', true, { body: { ...bodyBase, [k]: x } })));
      arbs.push(junkJson.chain((x) => make('body:junk-value', false, { body: { ...bodyBase, [k]: x } })));
      arbs.push(deepText.chain((x) => make('body:deep-value', true, { text: `{${JSON.stringify(k)}:${x}}` })));
      const over = overLimit(s, 300_000);
      if (over) arbs.push(over.chain((x) => make('body:over-limit', true, { body: { ...bodyBase, [k]: x } })));
    }
    arbs.push(
      fc
        .oneof(
          fc
            .jsonValue({ maxDepth: 2 })
            .filter((x) => typeof x !== 'object' || x === null || Array.isArray(x))
            .map((x) => JSON.stringify(x)),
          deepText,
        )
        .chain((t) => make('body:not-an-object', true, { text: t })),
    );
    arbs.push(
      fc
        .oneof(
          fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n)),
          fc.constantFrom(
            `${text},`,
            text.replace(/"/g, "'"),
            `${text}}`,
            `{${text}`,
            '{"a":1,}',
            'undefined',
            '{"a":NaN}',
            '\u0000',
            '{"a":"\\x"}',
            '{"a":"\\ud800',
            `[${text}`,
          ),
          fc.string({ unit: 'binary', maxLength: 60 }),
        )
        .filter((t) => {
          try {
            JSON.parse(t);
            return false;
          } catch {
            return true;
          }
        })
        .chain((t) => make('body:invalid-json', true, { text: t })),
    );
    arbs.push(make('body:proto', true, { text: `{"__proto__":{"isAdmin":true},${text.slice(1)}` }));
    arbs.push(
      make('body:constructor-prototype', true, {
        text: `{"constructor":{"prototype":{"isAdmin":true}},${text.slice(1)}`,
      }),
    );
    arbs.push(fc.constantFrom(...WRONG_TYPES).chain((t) => make('body:wrong-content-type', true, { text, type: t })));
  } else if (r.method === 'POST') {
    // Routes that take no JSON body: the archive upload takes ZIP bytes.
    if (r.path === '/v1/archives') {
      arbs.push(fc.uint8Array({ maxLength: 4096 }).chain((b) => make('zip:junk', true, { bytes: b })));
      arbs.push(
        fc
          .uint8Array({ maxLength: 512 })
          .chain((b) => make('zip:junk', true, { bytes: new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...b]) })),
      );
      arbs.push(
        fc
          .integer({ min: 0, max: fx.archive.length - 1 })
          .chain((n) => make('zip:truncated', true, { bytes: fx.archive.subarray(0, n) })),
      );
      arbs.push(
        fc.tuple(fc.nat(fx.archive.length - 1), fc.integer({ min: 1, max: 255 })).chain(([i, x]) => {
          const b = new Uint8Array(fx.archive);
          b[i] = b[i]! ^ x;
          return make('zip:bit-flip', false, { bytes: b });
        }),
      );
      arbs.push(
        fc
          .constantFrom(...WRONG_TYPES.filter((t) => t !== 'application/zip'), 'application/json')
          .chain((t) => make('zip:wrong-content-type', true, { text: '{"a":1}', type: t })),
      );
    } else {
      arbs.push(
        fc
          .oneof(
            junkString,
            fc.jsonValue().map((x) => JSON.stringify(x)),
          )
          .chain((t) => make('body:unexpected', false, { text: t })),
      );
    }
  }
  // Headers where they mean something
  if (r.path.endsWith('/download')) {
    const range = fc.oneof(
      fc.constantFrom(
        'bytes=0-',
        'bytes=-0',
        'bytes=5-3',
        'bytes=0-0',
        'bytes=-1',
        'bytes=999999999999999999999-',
        'bytes=0-999999999999999999999',
        'bytes=0-1,5-6',
        'bytes=',
        'bits=0-1',
        'bytes=-',
        'bytes=1e3-',
      ),
      fc
        .string({ maxLength: 30 })
        .filter((x) => /^[\x20-\x7e]*$/.test(x))
        .map((x) => `bytes=${x}`),
    );
    arbs.push(
      fc
        .tuple(range, fc.constantFrom(undefined, '"nope"', 'W/"x"', '*'))
        .chain(([rg, ifr]) =>
          make('header:range', false, { headers: { range: rg, ...(ifr ? { 'if-range': ifr } : {}) } }),
        ),
    );
    arbs.push(
      fc
        .constantFrom('*', '"x"', 'W/"x"', '', '"' + 'a'.repeat(64) + '"')
        .chain((x) => make('header:if-none-match', false, { headers: { 'if-none-match': x } })),
    );
  }
  // Methods the path does not have
  if (r.otherMethods.length)
    arbs.push(
      fc.constantFrom(...r.otherMethods).map((m) => ({
        kind: 'method',
        token: 'admin' as const,
        method: m,
        path: r.path.replace(/\{\w+\}/g, 'x'),
        headers: {},
        mustFail: true,
      })),
    );
  return fc.oneof(...arbs);
}

// ---------------------------------------------------------------------------------------------

for (const store of STORES)
  describe(`server fuzz on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    let admin = '';
    let fx: Fixture;
    let routes: Route[] = [];
    let sent = 0;
    const statuses = new Map<number, number>();
    const cleanups: (() => void)[] = [];
    const suite = { after: (fn: () => void) => cleanups.push(fn) };

    before(async () => {
      s = await testServer({ store });
      admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      const w = await world(suite);
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/publisher-keys', admin, {
            name: 'vendor',
            publicKey: readFileSync(w.pub, 'utf8'),
          })
        ).status,
        201,
      );
      assert.equal(
        (await api(s.url, 'POST', '/v1/customers', admin, { id: 'fzc', name: 'Fuzz Customer' })).status,
        201,
      );
      const zip = await w.hotfix('HF-FUZZ-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fuzzed\n'));
      const archive = new Uint8Array(readFileSync(zip));
      assert.equal((await api(s.url, 'POST', '/v1/archives', admin, archive)).status, 201);
      fx = { archiveId: 'HF-FUZZ-1', archive, customer: 'fzc' };
      const o = await api(s.url, 'GET', '/openapi.json', null);
      routes = [];
      /** The parts of an OpenAPI operation the cases are made from. */
      interface Operation {
        parameters?: { in: string; name: string; schema: Schema; required?: boolean }[];
        requestBody?: { content?: Record<string, { schema?: Schema } | undefined> };
        security?: unknown[];
      }
      for (const [path, ops] of Object.entries(o.body.paths as Record<string, Record<string, Operation>>)) {
        for (const [method, op] of Object.entries(ops)) {
          const params = op.parameters ?? [];
          routes.push({
            method: method.toUpperCase(),
            path,
            pathParams: params.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
            query: params
              .filter((p) => p.in === 'query')
              .map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
            body: op.requestBody?.content?.['application/json']?.schema ?? null,
            public: Array.isArray(op.security) && op.security.length === 0,
            otherMethods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((m) => !(m.toLowerCase() in ops)),
          });
        }
      }
      routes.push({
        method: 'GET',
        path: '/healthz',
        pathParams: [],
        query: [],
        body: null,
        public: true,
        otherMethods: ['POST', 'PUT', 'DELETE', 'PATCH'],
      });
      routes.push({
        method: 'GET',
        path: '/openapi.json',
        pathParams: [],
        query: [],
        body: null,
        public: true,
        otherMethods: ['POST', 'PUT', 'DELETE', 'PATCH'],
      });
    });
    after(async () => {
      // Some keep-alive connection of this suite's clients can hold a graceful close open until
      // Fastify's keepAliveTimeout (72 s); after 2 s, connections are cut.
      const server = maybe(s);
      if (server) {
        const closing = server.dispose();
        const cut = setTimeout(() => server.app.server.closeAllConnections(), 2000);
        await closing;
        clearTimeout(cut);
      }
      for (const c of cleanups) c();
    });

    /** Sends a case; returns what is wrong with the answer (empty: nothing). */
    async function probe(c: Case): Promise<{ problems: string[]; status: number; text: string }> {
      let token: string | null = c.token === 'admin' ? admin : null;
      // Logging out uses up the token: a fresh admin token for each such request.
      if (c.token === 'admin' && c.path.startsWith('/v1/logout'))
        token = (await api(s.url, 'POST', '/v1/tokens', admin, { name: 'fuzz' })).body.token;
      const headers = { ...c.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
      sent++;
      const res = await fetch(s.url + c.path, {
        method: c.method,
        headers,
        signal: AbortSignal.timeout(20_000),
        ...(c.body !== undefined ? { body: c.body as RequestInit['body'] } : {}),
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      return { problems: problemsOf(c, res.status, res.headers.get('content-type'), text), status: res.status, text };
    }

    function problemsOf(c: Case, status: number, type: string | null, text: string): string[] {
      const p: string[] = [];
      if (status >= 500) p.push(`answered ${status}`);
      else if (c.mustFail && !(status >= 400 && status < 500))
        p.push(`malformed by construction, yet answered ${status}`);
      if (status >= 400) {
        let body: { error?: { code?: unknown; message?: unknown } } | null | undefined;
        try {
          body = JSON.parse(text);
        } catch {
          p.push('the error body is not JSON');
        }
        if (!(type ?? '').startsWith('application/json')) p.push(`the error has content-type ${String(type)}`);
        const code = body?.error?.code;
        if (typeof code !== 'string' || !(code in ERRORS))
          p.push(`error.code ${JSON.stringify(code)} is not in src/errors.ts`);
        else if (status < 500 && ERRORS[code as keyof typeof ERRORS].http >= 500)
          p.push(`a 4xx carries ${code}, a server-error code`);
        if (typeof body?.error?.message !== 'string') p.push('no error.message');
      }
      // Error messages are for clients: they name no file of the server.
      if (text.includes(s.dir)) p.push(`the answer shows the server's file system path ${s.dir}`);
      return p;
    }

    const describeCase = (c: Case, status: number, text: string) => {
      const b =
        c.body === undefined
          ? ''
          : typeof c.body === 'string'
            ? ` body ${JSON.stringify(c.body.length > 200 ? `${c.body.slice(0, 200)}… (${c.body.length} chars)` : c.body)}`
            : ` ${c.body.length} bytes`;
      const url = c.path.length > 300 ? `${c.path.slice(0, 300)}… (${c.path.length} chars)` : c.path;
      return `[${c.kind}] ${c.token === 'admin' ? 'admin' : 'no token'}: ${c.method} ${url}${c.headers['content-type'] ? ` (${c.headers['content-type']})` : ''}${c.headers.range ? ` range ${c.headers.range}` : ''}${b} → ${status} ${text.slice(0, 200)}`;
    };

    test('every route: malformed requests get 4xx JSON errors with known codes, never 5xx', async () => {
      assert.ok(routes.length >= 20, `${routes.length} routes`);
      const failures: string[] = [];
      let i = 0;
      for (const r of routes) {
        const arb = fc.limitShrink(caseArb(r, fx), 40);
        const details = await fc.check(
          fc.asyncProperty(arb, async (c) => {
            const { problems, status, text } = await probe(c);
            if (problems.length) throw new Error(`${problems.join('; ')}\n      ${describeCase(c, status, text)}`);
          }),
          { seed: SEED + i++, numRuns: 2 * RUNS },
        );
        if (details.failed)
          failures.push(
            `${r.method} ${r.path} (seed ${details.seed}, shrunk ${details.numShrinks}x): ${(details.errorInstance as Error | undefined)?.message ?? String(details.errorInstance)}`,
          );
      }
      const up = await api(s.url, 'GET', '/healthz', null);
      assert.equal(up.status, 200, 'the server still answers /healthz');
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${routes.length} routes mishandle malformed requests:\n${failures.join('\n')}`,
      );
    });

    test('edge cases: NUL characters, integers past the column, bad escapes, huge URLs and bodies, Content-Length lies', async () => {
      const nul = '\u0000';
      const report = { product: 'demo', release: '1.0.0', level: 0, channel: 'full', hotfixes: [] };
      const cases: (Omit<Case, 'token' | 'headers'> & {
        token?: TokenKind;
        headers?: Record<string, string>;
        json?: unknown;
      })[] = [
        { kind: 'nul:query', method: 'GET', path: '/v1/audit?actor=%00', mustFail: false },
        { kind: 'nul:query', method: 'GET', path: '/v1/archives?product=a%00b', mustFail: false },
        { kind: 'nul:path', method: 'GET', path: '/v1/archives/%00', mustFail: true },
        { kind: 'nul:path', method: 'GET', path: '/v1/archives/%00/download', mustFail: true },
        { kind: 'nul:path', method: 'POST', path: '/v1/customers/%00/tokens', json: { name: 'x' }, mustFail: true },
        {
          kind: 'nul:path',
          method: 'POST',
          path: '/v1/products/a%00b/releases',
          json: { version: '1.0' },
          mustFail: false,
        },
        { kind: 'nul:body', method: 'POST', path: '/v1/login', json: { username: nul, password: 'x' }, mustFail: true },
        {
          kind: 'nul:body',
          method: 'POST',
          path: '/v1/customers',
          json: { id: 'nul1', name: `a${nul}` },
          mustFail: false,
        },
        { kind: 'nul:body', method: 'POST', path: '/v1/tokens', json: { name: nul }, mustFail: false },
        { kind: 'nul:body', method: 'POST', path: '/v1/products', json: { name: 'nul2', title: nul }, mustFail: false },
        {
          kind: 'nul:body',
          method: 'POST',
          path: '/v1/publisher-keys',
          json: { name: nul, publicKey: 'x' },
          mustFail: true,
        },
        {
          kind: 'nul:body',
          method: 'POST',
          path: '/v1/installations/report',
          json: { ...report, name: nul },
          mustFail: false,
        },
        {
          kind: 'nul:body',
          method: 'POST',
          path: '/v1/installations/report',
          json: { ...report, events: [{ kind: 'reverted', archive: 'HF-1', reason: nul }] },
          mustFail: false,
        },
        { kind: 'int:past-column', method: 'GET', path: '/v1/fleet/installations?level=10000000000', mustFail: false },
        {
          kind: 'int:past-column',
          method: 'GET',
          path: '/v1/fleet/installations?offset=100000000000000000000',
          mustFail: false,
        },
        // The validator passes Infinity as an integer under any maximum (found by this suite's fuzz).
        { kind: 'int:infinite', method: 'GET', path: '/v1/notifications?limit=Infinity', mustFail: true },
        { kind: 'int:infinite', method: 'GET', path: '/v1/cases?limit=1e400', mustFail: true },
        { kind: 'int:infinite', method: 'GET', path: '/v1/audit?limit=-Infinity', mustFail: true },
        { kind: 'int:infinite', method: 'GET', path: '/v1/cases/Infinity', mustFail: true },
        {
          kind: 'int:infinite',
          method: 'POST',
          path: '/v1/installations/report',
          body: '{"product":"demo","release":"1.0.0","level":1e400,"channel":"full","hotfixes":[]}',
          headers: { 'content-type': 'application/json' },
          mustFail: true,
        },
        { kind: 'bad-escape', method: 'GET', path: '/v1/archives/%E0%A4%A', mustFail: true },
        { kind: 'bad-escape', method: 'GET', path: '/v1/fleet/hotfixes/%', mustFail: true },
        { kind: 'huge-url', method: 'GET', path: `/v1/archives/${'x'.repeat(20_000)}`, mustFail: true },
        { kind: 'huge-url', method: 'GET', path: `/v1/archives?product=${'x'.repeat(70_000)}`, mustFail: true },
        {
          kind: 'huge-body',
          method: 'POST',
          path: '/v1/customers',
          json: { id: 'huge', name: 'x'.repeat(2 * 1024 * 1024) },
          mustFail: true,
        },
        {
          kind: 'name-rule',
          method: 'POST',
          path: '/v1/products/..%2F..%2Fetc/releases',
          json: { version: '1.0' },
          mustFail: true,
        },
        {
          kind: 'name-rule',
          method: 'POST',
          path: `/v1/products/${encodeURIComponent('\u202egnp.exe')}/releases`,
          json: { version: '1.0' },
          mustFail: true,
        },
        {
          kind: 'zip:not-a-zip',
          method: 'POST',
          path: '/v1/archives',
          body: new Uint8Array([1, 2, 3]),
          headers: { 'content-type': 'application/zip' },
          mustFail: true,
        },
        { kind: 'auth:junk', method: 'GET', path: '/v1/me', headers: { authorization: 'Bearer' }, mustFail: true },
        {
          kind: 'auth:junk',
          method: 'GET',
          path: '/v1/me',
          headers: { authorization: `Bearer hfx_${'A'.repeat(101)}` },
          mustFail: true,
        },
        {
          kind: 'auth:junk',
          method: 'GET',
          path: '/v1/me',
          headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
          mustFail: true,
        },
        {
          kind: 'auth:junk',
          method: 'GET',
          path: '/v1/me',
          headers: { authorization: `Bearer ${'é'.repeat(40)}` },
          mustFail: true,
        },
      ];
      const failures: string[] = [];
      for (const e of cases) {
        const headers = {
          ...(e.headers ?? {}),
          ...(e.json !== undefined ? { 'content-type': 'application/json' } : {}),
        };
        const c: Case = {
          ...e,
          token: e.token ?? (e.headers?.authorization ? 'none' : 'admin'),
          headers,
          ...(e.json !== undefined ? { body: JSON.stringify(e.json) } : {}),
        };
        const { problems, status, text } = await probe(c);
        if (problems.length) failures.push(`${problems.join('; ')}\n      ${describeCase(c, status, text)}`);
      }
      // A Content-Length far past the body limit is refused from the header, before any byte of body.
      const ex = rawExchange(
        s.port,
        `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{"id":`,
      );
      const timer = setTimeout(() => ex.socket.destroy(), 10_000);
      const answer = await ex.answer;
      clearTimeout(timer);
      ex.socket.destroy();
      const lie = { status: answer.status, type: answer.headers['content-type'] ?? null, body: answer.body };
      const lp = problemsOf(
        {
          kind: 'content-length-lie',
          token: 'admin',
          method: 'POST',
          path: '/v1/customers',
          headers: {},
          mustFail: true,
        },
        lie.status,
        lie.type,
        lie.body,
      );
      if (lp.length)
        failures.push(
          `${lp.join('; ')}\n      [content-length-lie] POST /v1/customers Content-Length: 10737418240, 6 bytes sent → ${lie.status} ${lie.body.slice(0, 200)}`,
        );
      const up = await api(s.url, 'GET', '/healthz', null);
      assert.equal(up.status, 200, 'the server still answers /healthz');
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${cases.length + 1} edge cases mishandled:\n${failures.join('\n')}`,
      );
    });

    test("every integer field of every route, at and past its column's range and in every spelling: 400 or 404, never 500", async () => {
      // Small valid ids are left out: with the admin token they would revoke or delete real rows.
      const BOUNDARY = [
        '0',
        '-1',
        '-0',
        '2147483647',
        '2147483648',
        '-2147483648',
        '-2147483649',
        '4294967296',
        '9007199254740991',
        '9007199254740993',
        '9223372036854775807',
        '9223372036854775808',
        '99999999999999999999',
        '1e400',
        '-1e400',
        '1e3',
        '1E9',
        '2e9',
        '0x10',
        '1.5',
        '1e-7',
        ' 1e9',
        'Infinity',
        'NaN',
      ];
      const failures: string[] = [];
      let fields = 0;
      for (const r of routes) {
        const pathBase = (name: string) =>
          r.path.startsWith('/v1/archives') || r.path.startsWith('/v1/fleet/hotfixes')
            ? fx.archiveId
            : r.path.startsWith('/v1/customers')
              ? fx.customer
              : name === 'action'
                ? 'triage'
                : 'demo';
        const url = (over: Record<string, string>) =>
          r.path.replace(/\{(\w+)\}/g, (_m, name: string) => enc(over[name] ?? pathBase(name)));
        const required = r.query
          .filter((q) => q.required)
          .map(
            (q) =>
              [
                q.name,
                String(example(q.schema, q.name === 'product' ? 'demo' : q.name === 'release' ? '1.0.0' : 'fz1')),
              ] as [string, string],
          );
        const qs = (pairs: [string, string][]) =>
          pairs.length ? `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}` : '';
        const body = r.body && r.method !== 'GET' ? (example(r.body, 'fz1') as Record<string, unknown>) : undefined;
        const sends: { what: string; c: Case }[] = [];
        /** A request with `b` as its JSON body: a value, or raw JSON text (for exponent forms JSON.stringify would rewrite). */
        const c = (path: string, b?: unknown, raw?: string): Case => {
          const text = raw ?? (b === undefined ? undefined : JSON.stringify(b));
          return {
            kind: 'int:boundary',
            token: 'admin',
            method: r.method,
            path,
            headers: text === undefined ? {} : { 'content-type': 'application/json' },
            ...(text === undefined ? {} : { body: text }),
            mustFail: false,
          };
        };
        for (const p of r.pathParams.filter((x) => x.schema.type === 'integer')) {
          fields++;
          for (const v of BOUNDARY)
            sends.push({ what: `path ${p.name}=${v}`, c: c(url({ [p.name]: v }) + qs(required), body) });
        }
        for (const q of r.query.filter((x) => x.schema.type === 'integer')) {
          fields++;
          for (const v of BOUNDARY)
            sends.push({
              what: `query ${q.name}=${v}`,
              c: c(url({}) + qs([...required.filter(([k]) => k !== q.name), [q.name, v]]), body),
            });
        }
        for (const k of Object.entries(r.body?.properties ?? {})
          .filter(([, x]) => x.type === 'integer' || x.type === 'number')
          .map(([name]) => name)) {
          if (!body) continue;
          fields++;
          const { [k]: _drop, ...rest } = body;
          for (const v of BOUNDARY) {
            sends.push({ what: `body ${k}="${v}"`, c: c(url({}) + qs(required), { ...rest, [k]: v }) });
            // As a JSON number, written as it is (1e400, -0, 9007199254740993 …) where JSON has a spelling for it.
            if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v))
              sends.push({
                what: `body ${k}=${v}`,
                c: c(
                  url({}) + qs(required),
                  undefined,
                  `{${JSON.stringify(k)}:${v}${Object.keys(rest).length ? `,${JSON.stringify(rest).slice(1)}` : '}'}`,
                ),
              });
          }
        }
        for (const { what, c: kase } of sends) {
          const { problems, status, text } = await probe(kase);
          if (problems.length)
            failures.push(`${r.method} ${r.path} ${what}: ${problems.join('; ')} → ${status} ${text.slice(0, 160)}`);
        }
      }
      assert.ok(fields >= 12, `only ${fields} integer fields found`);
      assert.equal((await api(s.url, 'GET', '/healthz', null)).status, 200);
      assert.deepEqual(failures, [], `${failures.length} boundary requests mishandled:\n${failures.join('\n')}`);
    });

    test('the longest ids the schemas allow (128 characters) work on every route that names them in its path', async () => {
      // Archive ids, customer ids and product names are 1 to 128 characters (the manifest's and the
      // API's own rule), so each route taking one in its path must accept 128.
      const w = await world(suite);
      await api(s.url, 'POST', '/v1/publisher-keys', admin, {
        name: 'vendor-long',
        publicKey: readFileSync(w.pub, 'utf8'),
      });
      const id = `HF-${'L'.repeat(125)}`;
      const zip = new Uint8Array(
        readFileSync(await w.hotfix(id, (d) => writeFileSync(join(d, 'docs/README'), 'long\n'))),
      );
      const failures: string[] = [];
      const expect2xx = async (method: string, path: string, body?: unknown) => {
        const r = await api(s.url, method, path, admin, body);
        if (r.status < 200 || r.status >= 300) {
          const shortPath = path.replace(/[A-Za-z]{100,}/, (m) => `${m.charAt(0)}…(${m.length} letters)`);
          failures.push(`${method} ${shortPath} → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
        }
        return r;
      };
      await expect2xx('POST', '/v1/archives', zip);
      await expect2xx('GET', `/v1/archives/${id}`);
      const dl = await fetch(`${s.url}/v1/archives/${id}/download`, { headers: { authorization: `Bearer ${admin}` } });
      if (dl.status !== 200 || !Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(zip)))
        failures.push(`GET /v1/archives/${id.slice(0, 8)}…/download → ${dl.status}, not the archive`);
      await expect2xx('GET', `/v1/fleet/hotfixes/${id}`);
      const customer = `C${'c'.repeat(127)}`;
      await expect2xx('POST', '/v1/customers', { id: customer, name: 'Long' });
      await expect2xx('POST', `/v1/customers/${customer}/tokens`, { name: 'prod' });
      const product = `P${'p'.repeat(127)}`;
      await expect2xx('POST', '/v1/products', { name: product });
      await expect2xx('POST', `/v1/products/${product}/releases`, { version: '1.0' });
      assert.deepEqual(failures, [], `routes that refuse a valid 128-character id:\n${failures.join('\n')}`);
    });

    test('the server is still up and its database still answers', async (t) => {
      assert.equal((await api(s.url, 'GET', '/healthz', null)).status, 200);
      const list = await api(s.url, 'GET', '/v1/archives', admin);
      assert.equal(list.status, 200);
      assert.ok(list.body.archives.some((a: { id: string }) => a.id === fx.archiveId));
      const dl = await fetch(`${s.url}/v1/archives/${fx.archiveId}/download`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      assert.deepEqual(new Uint8Array(await dl.arrayBuffer()), fx.archive);
      assert.ok(sent >= 200, `only ${sent} requests were sent`);
      t.diagnostic(
        `${store}: ${sent} requests; statuses ${[...statuses]
          .sort((a, b) => a[0] - b[0])
          .map(([k, n]) => `${k}×${n}`)
          .join(' ')}`,
      );
    });
  });
