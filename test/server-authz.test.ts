// The authorization matrix: every route of the API × every kind of caller, aimed at customer A's
// objects. The expected status of each cell comes from the rule table ROUTES (who may call a
// route, and how a request naming someone else's object is refused) and the few lines of
// expect(); nothing is copied from observed answers. The list of routes comes from the running
// server's /openapi.json, so a new route without a row fails the suite.
//
// On top of the statuses: customer B's answers never contain A's archive ids, installation ids
// or names (except where B itself sent them), and a refusal that hides an object from B reads
// exactly like the answer for an object that does not exist.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROLES, type Role } from '../src/store/schema.js';
import { world } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

// customer-a/b: an installation token of customers A and B; customer-user-a/b: one of A's and B's own
// people signed in (a user with role customer).
type Caller =
  | 'anonymous'
  | 'bad-token'
  | 'revoked-token'
  | Role
  | 'customer-a'
  | 'customer-b'
  | 'customer-user-a'
  | 'customer-user-b';
const CALLERS: readonly Caller[] = [
  'anonymous',
  'bad-token',
  'revoked-token',
  ...ROLES,
  'customer-a',
  'customer-b',
  'customer-user-a',
  'customer-user-b',
];
const isCustomer = (c: Caller): c is 'customer-a' | 'customer-b' => c === 'customer-a' || c === 'customer-b';
const isCustomerUser = (c: Caller): c is 'customer-user-a' | 'customer-user-b' =>
  c === 'customer-user-a' || c === 'customer-user-b';
const isUser = (c: Caller): c is Role => (ROLES as readonly string[]).includes(c);

/** Customer A's objects that every request aims at, and the strings B must never be shown. */
interface Fixture {
  custA: string;
  custAName: string;
  archA: string;
  archABytes: Uint8Array;
  instA: string;
  instAName: string;
  publisherKey: string;
  viewerPassword: string;
  /** A's case, deployed to Production (it has release notes) and still open. */
  caseA: string;
  /** A's case in testing: evidence may be uploaded again (a re-run). */
  testingCaseA: string;
  /** An update archive (level 0 → 1); it includes the public hotfix, not A's. */
  update: string;
  /** A webhook subscription nobody has removed yet (one per request that removes one). */
  spareSubscription(): string;
  /** An installation token of customer A nobody has revoked yet (one per request that revokes one). */
  spareToken(): string;
  /** A fresh suffix for names that must be unique (new users, customers, products…). */
  uniq(): string;
  /** The installation each caller registered itself (vendor users share an in-house one). */
  ownInstallation(c: Caller): string;
  /** sha256 of A's archive, and the path of A's repository's online role now. */
  shaA: string;
  onlineA: string;
  /** A rollout of A's hotfix with many steps; and archives of A with no rollout yet, one for each caller that may start one. */
  rollout: string;
  spareArchive(c: Caller): string;
}

interface Req {
  path: string;
  body?: unknown;
}

interface Variant {
  /** Shown in failures; a route may have several requests (its variants). */
  name: string;
  /**
   * Who may call: 'public' (no login needed), 'login' (any valid token: a vendor user, an
   * installation or a customer's user), 'customer-user' (a customer's own people only), or the
   * least vendor role.
   */
  allow: 'public' | 'login' | 'customer-user' | Role;
  /** Installation tokens may call this role-gated route too (fleet reporting). */
  installations?: boolean;
  /**
   * The request names customer A's object. Callers other than its owner are refused with
   * `status`; vendor users count as owners when `vendorSees`. `asAbsent`: the refusal must read
   * exactly like the answer about an object that does not exist.
   */
  foreign?: { status: 403 | 404; vendorSees: boolean; asAbsent?: boolean };
  /**
   * The object belongs to a vendor user of this role or above, or to the caller itself: other
   * vendor users are refused with exactly the answer about an object that does not exist.
   */
  hiddenBelow?: Role;
  /** A listing that includes A's object for its owners only (vendor users when `vendorSees`). */
  lists?: { of: 'archive' | 'installation'; vendorSees: boolean };
  /** The request uses up its token (logout): each caller gets a fresh token of its own for it. */
  consumesToken?: boolean;
  request(f: Fixture, caller: Caller): Req;
}

const v = (name: string, rest: Omit<Variant, 'name'>): Variant => ({ name, ...rest });

/** The rule table: one row per route (METHOD + OpenAPI path), one or more requests per row. */
const ROUTES: Record<string, Variant[]> = {
  'POST /v1/login': [
    v('log in as the viewer', {
      allow: 'public',
      request: (f) => ({ path: '/v1/login', body: { username: 'viewer', password: f.viewerPassword } }),
    }),
  ],
  'GET /v1/me': [v('who am I', { allow: 'login', request: () => ({ path: '/v1/me' }) })],
  'POST /v1/logout': [
    v('revoke my token', { allow: 'login', consumesToken: true, request: () => ({ path: '/v1/logout' }) }),
  ],
  'GET /v1/users': [v('list users', { allow: 'admin', request: () => ({ path: '/v1/users' }) })],
  'POST /v1/users': [
    v('create a user', {
      allow: 'admin',
      request: (f) => ({
        path: '/v1/users',
        body: { username: `u-${f.uniq()}`, password: 'a-long-enough-password', role: 'viewer' },
      }),
    }),
  ],
  'PATCH /v1/users/{username}': [
    v("record a user's e-mail", {
      allow: 'admin',
      request: () => ({ path: '/v1/users/viewer', body: { email: 'me@example.com' } }),
    }),
  ],
  'GET /v1/customers': [v('list customers', { allow: 'release-manager', request: () => ({ path: '/v1/customers' }) })],
  'POST /v1/customers': [
    v('create a customer', {
      allow: 'admin',
      request: (f) => ({ path: '/v1/customers', body: { id: `c-${f.uniq()}`, name: 'New Customer' } }),
    }),
  ],
  'POST /v1/customers/{id}/tokens': [
    v("a token for A's installations", {
      allow: 'admin',
      request: (f) => ({ path: `/v1/customers/${f.custA}/tokens`, body: { name: `t-${f.uniq()}` } }),
    }),
  ],
  'POST /v1/tokens': [
    v('another token for myself', {
      allow: 'viewer',
      request: (f) => ({ path: '/v1/tokens', body: { name: `t-${f.uniq()}` } }),
    }),
  ],
  'GET /v1/tokens': [
    v('list my tokens', { allow: 'viewer', request: () => ({ path: '/v1/tokens' }) }),
    v('list tokens, revoked and expired too', { allow: 'viewer', request: () => ({ path: '/v1/tokens?all=true' }) }),
  ],
  // Someone else's token reads like no token at all (its id tells nothing).
  'DELETE /v1/tokens/{id}': [
    v("revoke an installation token of A's", {
      allow: 'viewer',
      hiddenBelow: 'admin',
      request: (f) => ({ path: `/v1/tokens/${f.spareToken()}` }),
    }),
  ],
  'GET /v1/publisher-keys': [
    v('list publisher keys', { allow: 'viewer', request: () => ({ path: '/v1/publisher-keys' }) }),
  ],
  'POST /v1/publisher-keys': [
    v('trust a publisher key', {
      allow: 'admin',
      request: (f) => ({ path: '/v1/publisher-keys', body: { name: 'vendor', publicKey: f.publisherKey } }),
    }),
  ],
  'GET /v1/products': [v('list products', { allow: 'login', request: () => ({ path: '/v1/products' }) })],
  'POST /v1/products': [
    v('register a product', {
      allow: 'release-manager',
      request: (f) => ({ path: '/v1/products', body: { name: `p-${f.uniq()}` } }),
    }),
  ],
  'POST /v1/products/{product}/releases': [
    v('register a release', {
      allow: 'release-manager',
      request: (f) => ({ path: '/v1/products/demo/releases', body: { version: `9.${f.uniq()}` } }),
    }),
  ],
  // Release manifests (docs/releases.md): the same release again answers 200, so every allowed caller succeeds.
  'POST /v1/products/{product}/manifests': [
    v('publish a release manifest', {
      allow: 'release-manager',
      request: () => ({ path: '/v1/products/demo/manifests', body: releaseManifest('1.0.0') }),
    }),
  ],
  'GET /v1/products/{product}/manifests': [
    v('list release manifests', { allow: 'viewer', request: () => ({ path: '/v1/products/demo/manifests' }) }),
  ],
  'GET /v1/products/{product}/manifests/{version}': [
    v('one release manifest', { allow: 'viewer', request: () => ({ path: '/v1/products/demo/manifests/1.0.0' }) }),
  ],
  'GET /v1/products/{product}/manifests-diff': [
    v('compare two release manifests', {
      allow: 'viewer',
      request: () => ({ path: '/v1/products/demo/manifests-diff?from=1.0.0&to=1.0.1' }),
    }),
  ],
  'GET /v1/audit': [v('read the audit log', { allow: 'release-manager', request: () => ({ path: '/v1/audit' }) })],
  'POST /v1/archives': [
    v("upload A's archive again", {
      allow: 'developer',
      request: (f) => ({ path: `/v1/archives?customer=${f.custA}`, body: f.archABytes }),
    }),
  ],
  'GET /v1/archives': [
    v('list archives', {
      allow: 'login',
      lists: { of: 'archive', vendorSees: true },
      request: () => ({ path: '/v1/archives' }),
    }),
    v('list archives of a release', {
      allow: 'login',
      lists: { of: 'archive', vendorSees: true },
      request: () => ({ path: '/v1/archives?product=demo&release=1.0.0&kind=hotfix' }),
    }),
  ],
  'GET /v1/archives/{id}': [
    v("A's archive", {
      allow: 'login',
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f) => ({ path: `/v1/archives/${f.archA}` }),
    }),
  ],
  'GET /v1/archives/{id}/download': [
    v("download A's archive", {
      allow: 'login',
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f) => ({ path: `/v1/archives/${f.archA}/download` }),
    }),
  ],
  // TUF (docs/distribution.md): a customer's repository is its own; another's reads like none.
  'GET /v1/tuf/{repo}/metadata/{file}': [
    v("A's repository: timestamp.json", {
      allow: 'login',
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f) => ({ path: `/v1/tuf/${f.custA}/metadata/timestamp.json` }),
    }),
    v("A's repository: what it offers (the online role)", {
      allow: 'login',
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      lists: { of: 'archive', vendorSees: true },
      request: (f) => ({ path: f.onlineA }),
    }),
  ],
  'GET /v1/tuf/{repo}/targets/{file}': [
    v("A's archive as a target of A's repository", {
      allow: 'login',
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f) => ({ path: `/v1/tuf/${f.custA}/targets/${f.shaA}.${f.archA}.zip` }),
    }),
  ],
  'POST /v1/installations/report': [
    // An installation belongs to whoever registered it; nobody else may report over it.
    v("report over A's installation", {
      allow: 'developer',
      installations: true,
      foreign: { status: 404, vendorSees: false },
      request: (f) => ({
        path: '/v1/installations/report',
        body: { id: f.instA, product: 'demo', release: '1.0.0', level: 0, channel: 'full', hotfixes: [f.archA] },
      }),
    }),
    v('register a new installation', {
      allow: 'developer',
      installations: true,
      request: (f) => ({
        path: '/v1/installations/report',
        body: { name: `new-${f.uniq()}`, product: 'demo', release: '1.0.0', level: 0, channel: 'full', hotfixes: [] },
      }),
    }),
    // Ids in the body are authorization questions too: nobody but A (and the vendor) can claim A's hotfix.
    v("my installation runs A's hotfix", {
      allow: 'developer',
      installations: true,
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f, c) => ({
        path: '/v1/installations/report',
        body: {
          id: f.ownInstallation(c),
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: [f.archA],
        },
      }),
    }),
    v("a new installation that reverted A's hotfix", {
      allow: 'developer',
      installations: true,
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f) => ({
        path: '/v1/installations/report',
        body: {
          name: `reverted-${f.uniq()}`,
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: [],
          events: [{ kind: 'reverted', archive: f.archA, reason: 'authz matrix' }],
        },
      }),
    }),
  ],
  'GET /v1/fleet/installations': [
    v('list installations', {
      allow: 'login',
      lists: { of: 'installation', vendorSees: true },
      request: () => ({ path: '/v1/fleet/installations' }),
    }),
    v("installations with A's hotfix", {
      allow: 'login',
      lists: { of: 'installation', vendorSees: true },
      request: (f) => ({ path: `/v1/fleet/installations?hotfix=${f.archA}` }),
    }),
  ],
  'GET /v1/fleet/summary': [
    v('count the fleet', { allow: 'login', request: () => ({ path: '/v1/fleet/summary' }) }),
    v("count a release's installations", {
      allow: 'login',
      request: () => ({ path: '/v1/fleet/summary?product=demo&release=1.0.0' }),
    }),
  ],
  'GET /v1/fleet/hotfixes/{id}': [
    v("where A's hotfix is applied", {
      allow: 'viewer',
      lists: { of: 'installation', vendorSees: true },
      request: (f) => ({ path: `/v1/fleet/hotfixes/${f.archA}` }),
    }),
  ],
  'GET /v1/environments/{product}': [
    v('the pipeline and what runs where', { allow: 'viewer', request: () => ({ path: '/v1/environments/demo' }) }),
  ],
  'PUT /v1/environments/{product}/pipeline': [
    v('set the pipeline', {
      allow: 'release-manager',
      request: () => ({
        path: '/v1/environments/demo/pipeline',
        body: { environments: ['Development', 'QA', 'Pre-Production', 'Production'] },
      }),
    }),
  ],
  'PUT /v1/environments/{product}/{env}/gates': [
    v("QA's gates", {
      allow: 'release-manager',
      request: () => ({ path: '/v1/environments/demo/QA/gates', body: { soakSeconds: null, freeze: [] } }),
    }),
  ],
  'GET /v1/environments/{product}/compare': [
    v('compare two environments', {
      allow: 'viewer',
      request: () => ({ path: '/v1/environments/demo/compare?a=QA&b=Production' }),
    }),
  ],
  'GET /v1/environments/{product}/{env}': [
    v('one environment', { allow: 'viewer', request: () => ({ path: '/v1/environments/demo/QA' }) }),
  ],
  'POST /v1/environments/{product}/{env}/installations': [
    v("assign A's installation to an environment", {
      allow: 'developer',
      request: (f) => ({ path: '/v1/environments/demo/QA/installations', body: { installation: f.instA } }),
    }),
  ],
  'POST /v1/environments/report': [
    v("content report for A's installation", {
      allow: 'developer',
      installations: true,
      foreign: { status: 404, vendorSees: false },
      request: (f) => ({
        path: '/v1/environments/report',
        body: {
          installation: f.instA,
          release: '1.0.0',
          level: 0,
          hotfixes: [],
          updates: [],
          packHash: '0'.repeat(64),
        },
      }),
    }),
    v("my installation's content has A's hotfix", {
      allow: 'developer',
      installations: true,
      foreign: { status: 404, vendorSees: true, asAbsent: true },
      request: (f, c) => ({
        path: '/v1/environments/report',
        body: {
          installation: f.ownInstallation(c),
          release: '1.0.0',
          level: 0,
          hotfixes: [{ id: f.archA, digest: 'a'.repeat(64) }],
          updates: [],
          packHash: '0'.repeat(64),
        },
      }),
    }),
  ],
  'POST /v1/environments/{product}/{env}/deploy': [
    v("deploy A's hotfix (dry run)", {
      allow: 'developer',
      request: (f) => ({ path: '/v1/environments/demo/QA/deploy', body: { hotfix: f.archA, dryRun: true } }),
    }),
  ],
  'GET /v1/environments/{product}/hotfixes/{id}/presence': [
    v("where A's hotfix is present", {
      allow: 'viewer',
      request: (f) => ({ path: `/v1/environments/demo/hotfixes/${f.archA}/presence` }),
    }),
  ],
  'GET /v1/environments/{product}/hotfixes/{id}/files': [
    v("the files A's hotfix touches", {
      allow: 'viewer',
      request: (f) => ({ path: `/v1/environments/demo/hotfixes/${f.archA}/files` }),
    }),
  ],
  'POST /v1/environments/{product}/hotfixes/{id}/propagate': [
    v("propagate A's hotfix (dry run)", {
      allow: 'developer',
      request: (f) => ({
        path: `/v1/environments/demo/hotfixes/${f.archA}/propagate`,
        body: { to: 'QA', dryRun: true },
      }),
    }),
  ],
  // Cases (docs/cases.md) are the vendor's: installation tokens may not use them at all.
  'POST /v1/cases': [
    v('report a case for A', {
      allow: 'developer',
      request: (f) => ({
        path: '/v1/cases',
        body: {
          title: `case ${f.uniq()}`,
          source: 'customer',
          reporter: 'support',
          customer: f.custA,
          product: 'demo',
          impact: 'few',
          severity: 'S3',
        },
      }),
    }),
  ],
  'GET /v1/cases': [v('list cases', { allow: 'viewer', request: () => ({ path: '/v1/cases' }) })],
  'GET /v1/cases/{id}': [
    v("A's case with its history", { allow: 'viewer', request: (f) => ({ path: `/v1/cases/${f.caseA}` }) }),
  ],
  'GET /v1/cases/{id}/audit': [
    v("A's case's audit entries", { allow: 'viewer', request: (f) => ({ path: `/v1/cases/${f.caseA}/audit` }) }),
  ],
  'POST /v1/cases/{id}/priority': [
    v("override the priority of A's case", {
      allow: 'release-manager',
      request: (f) => ({ path: `/v1/cases/${f.caseA}/priority`, body: { priority: 'P1', reason: 'authz matrix' } }),
    }),
  ],
  'POST /v1/cases/{id}/{action}': [
    // The role is the step's (machine.ts): steps that may be taken again, so every allowed caller can.
    v("evidence for A's case again (a re-run)", {
      allow: 'developer',
      request: (f) => ({
        path: `/v1/cases/${f.testingCaseA}/evidence`,
        body: { functional: JUNIT_PASS, regression: JUNIT_PASS },
      }),
    }),
    v("deploy A's case to one more environment", {
      allow: 'release-manager',
      request: (f) => ({ path: `/v1/cases/${f.caseA}/deploy`, body: { environment: `env-${f.uniq()}` } }),
    }),
  ],
  'GET /v1/cases/{id}/release-notes.md': [
    v("release notes of A's case", {
      allow: 'viewer',
      request: (f) => ({ path: `/v1/cases/${f.caseA}/release-notes.md` }),
    }),
  ],
  'GET /v1/updates/{id}/release-notes.md': [
    v("an update level's release notes", {
      allow: 'viewer',
      request: (f) => ({ path: `/v1/updates/${f.update}/release-notes.md` }),
    }),
  ],
  'GET /v1/subscriptions': [
    v('list subscriptions', { allow: 'release-manager', request: () => ({ path: '/v1/subscriptions' }) }),
  ],
  'POST /v1/subscriptions': [
    // Only an admin points notifications anywhere but at the caller's own address of record.
    v('subscribe a webhook', {
      allow: 'admin',
      request: () => ({
        path: '/v1/subscriptions',
        body: { kind: 'webhook', target: 'http://127.0.0.1:9/hook', events: ['case.solved'] },
      }),
    }),
    v('subscribe my own e-mail', {
      allow: 'viewer',
      request: () => ({
        path: '/v1/subscriptions',
        body: { kind: 'email', target: 'me@example.com', events: ['case.solved'] },
      }),
    }),
    v("subscribe someone else's e-mail", {
      allow: 'admin',
      request: () => ({
        path: '/v1/subscriptions',
        body: { kind: 'email', target: 'someone@example.com', events: ['case.solved'] },
      }),
    }),
    v("a contact for A's events", {
      allow: 'admin',
      request: (f) => ({
        path: '/v1/subscriptions',
        body: { kind: 'email', target: 'ops@acme.example', customer: f.custA, events: ['case.solved'] },
      }),
    }),
  ],
  'DELETE /v1/subscriptions/{id}': [
    v("remove the admin's webhook subscription", {
      allow: 'viewer',
      hiddenBelow: 'release-manager',
      request: (f) => ({ path: `/v1/subscriptions/${f.spareSubscription()}` }),
    }),
  ],
  'GET /v1/notifications': [
    v('the notification outbox', { allow: 'release-manager', request: () => ({ path: '/v1/notifications' }) }),
  ],
  // Rollouts (docs/rollouts.md): release managers change them, vendor users see them; customers never.
  'POST /v1/rollouts': [
    v("roll A's hotfix out to A", {
      allow: 'release-manager',
      request: (f, c) => ({
        path: '/v1/rollouts',
        body: { archive: f.spareArchive(c), customer: f.custA, steps: [10, 100] },
      }),
    }),
  ],
  'GET /v1/rollouts': [v('list rollouts', { allow: 'viewer', request: () => ({ path: '/v1/rollouts' }) })],
  'GET /v1/rollouts/{id}': [
    v("the rollout of A's hotfix", { allow: 'viewer', request: (f) => ({ path: `/v1/rollouts/${f.rollout}` }) }),
  ],
  'POST /v1/rollouts/{id}/{action}': [
    v("the next step of the rollout of A's hotfix", {
      allow: 'release-manager',
      request: (f) => ({ path: `/v1/rollouts/${f.rollout}/advance`, body: {} }),
    }),
  ],
  'GET /v1/overview': [
    v('set-up checklist and what needs attention', { allow: 'viewer', request: () => ({ path: '/v1/overview' }) }),
  ],
  // A customer's own people see their cases, told in plain words; nobody else uses these routes.
  'GET /v1/customer/cases': [
    v("my customer's cases", { allow: 'customer-user', request: () => ({ path: '/v1/customer/cases' }) }),
  ],
  'GET /v1/customer/cases/{id}': [
    v("A's case as A's people see it", {
      allow: 'customer-user',
      foreign: { status: 404, vendorSees: false },
      request: (f) => ({ path: `/v1/customer/cases/${f.caseA}` }),
    }),
  ],
};

/** Passing JUnit XML, for a case's functional and regression evidence. */
const JUNIT_PASS =
  '<testsuite name="authz"><testcase classname="core.Cache" name="hit"/><testcase classname="core.Cache" name="miss"/></testsuite>';

/** A published release manifest of the product demo. */
function releaseManifest(version: string): Record<string, unknown> {
  return {
    name: 'demo',
    version,
    status: 'published',
    published_at: '2026-01-02T00:00:00.000Z',
    commit: 'c'.repeat(40),
    released_at: '2026-01-01T00:00:00.000Z',
    notes: `release ${version}`,
    channels: ['stable'],
    images: { api: `registry.example.com/demo/api:${version}` },
    components: {},
  };
}

/** Routes the OpenAPI description hides on purpose; they are in the matrix all the same. */
const HIDDEN: Record<string, Variant[]> = {
  'GET /healthz': [v('health', { allow: 'public', request: () => ({ path: '/healthz' }) })],
  'GET /openapi.json': [v('API description', { allow: 'public', request: () => ({ path: '/openapi.json' }) })],
};

/** The rule table as docs/server.md shows it (between its authz-table markers), one line per request. */
function renderRules(): string[] {
  const who = (r: Variant) =>
    r.allow === 'public'
      ? 'anyone, no login'
      : r.allow === 'login'
        ? 'any login'
        : r.allow === 'customer-user'
          ? "a customer's users only"
          : r.allow === 'admin'
            ? 'admin'
            : `${r.allow} and up`;
  const inst = (r: Variant) => (r.allow === 'public' || r.allow === 'login' || r.installations ? 'yes' : 'no');
  const people = (r: Variant) =>
    r.allow === 'public' || r.allow === 'login' || r.allow === 'customer-user' ? 'yes' : 'no';
  const foreign = (r: Variant) =>
    r.foreign
      ? `${r.foreign.status}${r.foreign.asAbsent ? ' (same answer as for nothing)' : ''} to other customers${r.foreign.vendorSees ? '' : ' and to vendor users'}`
      : '';
  const lists = (r: Variant) =>
    r.lists ? `shows A's ${r.lists.of}s to A${r.lists.vendorSees ? ' and vendor users' : ''} only` : '';
  const hidden = (r: Variant) =>
    r.hiddenBelow ? `404 (same answer as for nothing) to users below ${r.hiddenBelow}` : '';
  const objects = (r: Variant) => [foreign(r), hidden(r), lists(r)].filter(Boolean).join('; ') || '—';
  return Object.entries(ROUTES).flatMap(([route, variants]) =>
    variants.map((r) => `| \`${route}\` | ${r.name} | ${who(r)} | ${inst(r)} | ${people(r)} | ${objects(r)} |`),
  );
}

type Expect = 'ok' | 401 | 403 | 404;

/** The expected status of one cell, from the row's rules alone. */
function expect(row: Variant, c: Caller): Expect {
  // A credential that is presented but does not verify is refused on every route, public ones
  // included: a client with a stale token learns so at once instead of being served anonymously.
  if (c === 'bad-token' || c === 'revoked-token') return 401;
  if (row.allow === 'public') return 'ok';
  if (c === 'anonymous') return 401;
  if (row.allow === 'customer-user') {
    if (!isCustomerUser(c)) return 403;
  } else if (row.allow !== 'login') {
    const allowed = isCustomer(c)
      ? row.installations === true
      : isCustomerUser(c)
        ? false
        : ROLES.indexOf(c) >= ROLES.indexOf(row.allow);
    if (!allowed) return 403;
  }
  if (row.foreign && !isOwner(c, row.foreign.vendorSees)) return row.foreign.status;
  if (row.hiddenBelow && isUser(c) && ROLES.indexOf(c) < ROLES.indexOf(row.hiddenBelow)) return 404;
  return 'ok';
}

function isOwner(c: Caller, vendorSees: boolean): boolean {
  return c === 'customer-a' || c === 'customer-user-a' || (isUser(c) && vendorSees);
}

const CODE: Record<401 | 403 | 404, string> = { 401: 'HFX_E_AUTH', 403: 'HFX_E_FORBIDDEN', 404: 'HFX_E_NOT_FOUND' };
/** The error code an answer carries (a body that is not an error, or not JSON, has none). */
const codeOf = (body: unknown) => (body as { error?: { code?: string } } | null)?.error?.code;

interface Cell {
  route: string;
  variant: string;
  caller: Caller;
  method: string;
  req: Req;
  expected: Expect;
  status: number;
  body: unknown;
  text: string;
}

test('docs/server.md shows the rule table this suite checks', () => {
  const doc = readFileSync(new URL('../../docs/server.md', import.meta.url), 'utf8');
  const section = /<!-- authz-table -->([\s\S]*?)<!-- \/authz-table -->/.exec(doc)?.[1] ?? '';
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  assert.deepEqual(
    rows,
    renderRules(),
    `docs/server.md's table differs from ROUTES; the rows should read:\n${renderRules().join('\n')}`,
  );
});

for (const store of STORES)
  describe(`authorization matrix on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    let f: Fixture;
    const tokens = new Map<Caller, string | null>();
    const cells: Cell[] = [];
    const cleanups: (() => void)[] = [];
    const suite = { after: (fn: () => void) => cleanups.push(fn) };
    let n = 0;
    const uniq = () => `${Date.now().toString(36)}${(++n).toString(36)}`;
    let adminToken = '';

    const ok = async (method: string, path: string, token: string | null, body?: unknown) => {
      const r = await api(s.url, method, path, token, body);
      assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };

    before(async () => {
      s = await testServer({ store, limits: { webhookAllow: ['127.0.0.1/32'] } });
      adminToken = (await ok('POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).token;
      const passwords: Record<Role, string> = {
        viewer: 'viewer-password-1',
        developer: 'developer-password-1',
        'release-manager': 'release-password-1',
        admin: s.adminPassword,
      };
      for (const role of ROLES) {
        // Every user's address of record is me@example.com: the one each may subscribe itself.
        if (role !== 'admin')
          await ok('POST', '/v1/users', adminToken, {
            username: role,
            password: passwords[role],
            role,
            email: 'me@example.com',
          });
        else await ok('PATCH', '/v1/users/admin', adminToken, { email: 'me@example.com' });
        tokens.set(role, (await ok('POST', '/v1/login', null, { username: role, password: passwords[role] })).token);
      }
      const suffix = randomBytes(3).toString('hex');
      const custA = `acme-${suffix}`;
      const custAName = `Acme Secret Corp ${suffix}`;
      await ok('POST', '/v1/customers', adminToken, { id: custA, name: custAName });
      await ok('POST', '/v1/customers', adminToken, { id: `globex-${suffix}`, name: 'Globex' });
      tokens.set(
        'customer-a',
        (await ok('POST', `/v1/customers/${custA}/tokens`, adminToken, { name: 'prod-1' })).token,
      );
      tokens.set(
        'customer-b',
        (await ok('POST', `/v1/customers/globex-${suffix}/tokens`, adminToken, { name: 'prod-1' })).token,
      );
      for (const [caller, customer] of [
        ['customer-user-a', custA],
        ['customer-user-b', `globex-${suffix}`],
      ] as const) {
        await ok('POST', '/v1/users', adminToken, {
          username: caller,
          password: `${caller}-password`,
          role: 'customer',
          customer,
        });
        tokens.set(
          caller,
          (await ok('POST', '/v1/login', null, { username: caller, password: `${caller}-password` })).token,
        );
      }
      tokens.set('anonymous', null);
      tokens.set('bad-token', `hfx_${randomBytes(32).toString('base64url')}`);
      const revoked = (await ok('POST', '/v1/tokens', tokens.get('viewer')!, { name: 'to-revoke' })).token;
      await ok('POST', '/v1/logout', revoked);
      tokens.set('revoked-token', revoked);

      const w = await world(suite);
      const publisherKey = readFileSync(w.pub, 'utf8');
      await ok('POST', '/v1/publisher-keys', adminToken, { name: 'vendor', publicKey: publisherKey });
      const archA = `HF-ACMESECRET-${suffix}`;
      const zipA = await w.hotfix(archA, (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed for A only\n'), {
        customer: custA,
      });
      await ok('POST', '/v1/archives', tokens.get('developer')!, new Uint8Array(readFileSync(zipA)));
      const zipAll = await w.hotfix(`HF-PUBLIC-${suffix}`, (d) =>
        writeFileSync(join(d, 'docs/README'), 'for everyone\n'),
      );
      await ok('POST', '/v1/archives', tokens.get('developer')!, new Uint8Array(readFileSync(zipAll)));
      const instA = randomUUID();
      const instAName = `acme-secret-install-${suffix}`;
      await ok('POST', '/v1/installations/report', tokens.get('customer-a')!, {
        id: instA,
        name: instAName,
        product: 'demo',
        release: '1.0.0',
        level: 0,
        channel: 'full',
        hotfixes: [archA],
        events: [{ kind: 'applied', archive: archA }],
      });
      await ok('POST', '/v1/environments/demo/Production/deploy', adminToken, {
        hotfix: archA,
        approval: { reason: 'authz fixture' },
      });
      // B has an installation of its own, so its listings are not empty.
      const instB = (
        await ok('POST', '/v1/installations/report', tokens.get('customer-b')!, {
          name: 'globex-own',
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: [`HF-PUBLIC-${suffix}`],
        })
      ).id as string;
      const instVendor = (
        await ok('POST', '/v1/installations/report', tokens.get('developer')!, {
          name: 'in-house',
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: [],
        })
      ).id as string;
      const ownInstallation = (c: Caller) => (c === 'customer-a' ? instA : c === 'customer-b' ? instB : instVendor);
      // An update level that includes the public hotfix (not A's), for its release notes.
      const update = `UPD-${suffix}`;
      const zipUpd = await w.hotfix(update, (d) => writeFileSync(join(d, 'conf/server.toml'), 'level 1\n'), {
        kind: 'update',
        toLevel: 1,
        includes: [`HF-PUBLIC-${suffix}`],
      });
      await ok('POST', '/v1/archives', tokens.get('developer')!, new Uint8Array(readFileSync(zipUpd)));
      // A's cases: one taken to testing, one on to deployed (it has release notes once ready).
      const dev = tokens.get('developer')!;
      const rm = tokens.get('release-manager')!;
      const newCase = async (title: string) => {
        const c = (
          await ok('POST', '/v1/cases', dev, {
            title,
            source: 'customer',
            reporter: 'support',
            customer: custA,
            product: 'demo',
            impact: 'few',
            severity: 'S3',
          })
        ).id as number;
        await ok('POST', `/v1/cases/${c}/triage`, dev, {});
        await ok('POST', `/v1/cases/${c}/start`, dev, { assignee: 'developer', rootCause: 'a stale cache entry' });
        await ok('POST', `/v1/cases/${c}/evidence`, dev, { functional: JUNIT_PASS, regression: JUNIT_PASS });
        return String(c);
      };
      const testingCaseA = await newCase('authz fixture: in testing');
      const caseA = await newCase('authz fixture: deployed');
      await ok('POST', `/v1/cases/${caseA}/ready`, dev, { hotfix: archA });
      await ok('POST', `/v1/cases/${caseA}/schedule`, rm, {
        windowStart: '2026-01-01T00:00:00Z',
        windowEnd: '2026-01-02T00:00:00Z',
      });
      await ok('POST', `/v1/cases/${caseA}/deploy`, rm, { environment: 'Production' });
      for (const version of ['1.0.0', '1.0.1'])
        await ok('POST', '/v1/products/demo/manifests', rm, releaseManifest(version));
      // Webhook subscriptions to remove: a request that removes one uses up its own.
      const spare: string[] = [];
      for (let i = 0; i < 3 * CALLERS.length; i++)
        spare.push(
          String(
            (
              await ok('POST', '/v1/subscriptions', adminToken, {
                kind: 'webhook',
                target: `http://127.0.0.1:9/spare-${i}`,
                events: ['case.solved'],
              })
            ).id,
          ),
        );
      const spareSubscription = () => {
        const id = spare.shift();
        assert.ok(id, 'the fixture has enough spare subscriptions');
        return id;
      };
      // Installation tokens to revoke, likewise; their ids come from the admin's list.
      const spareTokens: string[] = [];
      for (let i = 0; i < 2 * CALLERS.length; i++)
        await ok('POST', `/v1/customers/${custA}/tokens`, adminToken, { name: `spare-${i}` });
      for (const t of (await ok('GET', '/v1/tokens', adminToken)).tokens as { id: number; name: string }[])
        if (t.name.startsWith('spare-')) spareTokens.push(String(t.id));
      const spareToken = () => {
        const id = spareTokens.shift();
        assert.ok(id, 'the fixture has enough spare tokens');
        return id;
      };
      const shaA = createHash('sha256').update(readFileSync(zipA)).digest('hex');
      const ts = await ok('GET', `/v1/tuf/${custA}/metadata/timestamp.json`, adminToken);
      const snap = await ok(
        'GET',
        `/v1/tuf/${custA}/metadata/${ts.signed.meta['snapshot.json'].version}.snapshot.json`,
        adminToken,
      );
      const onlineA = `/v1/tuf/${custA}/metadata/${snap.signed.meta['online.json'].version}.online.json`;
      const spareArchives: string[] = [];
      for (let i = 0; i < 3; i++) {
        const zip = await w.hotfix(
          `HF-SPARE-${suffix}-${i}`,
          (d) => writeFileSync(join(d, 'lib/util.jar'), `spare ${i}\n`),
          { customer: custA },
        );
        await ok('POST', '/v1/archives', tokens.get('developer')!, new Uint8Array(readFileSync(zip)));
        spareArchives.push(`HF-SPARE-${suffix}-${i}`);
      }
      const rollout = String(
        (
          await ok('POST', '/v1/rollouts', rm, {
            archive: archA,
            customer: custA,
            steps: Array.from({ length: 20 }, (_, i) => (i + 1) * 5),
          })
        ).id,
      );
      // Only release managers and admins start one; the others are refused before anything is done.
      const spareArchive = (c: Caller) => spareArchives[c === 'release-manager' ? 0 : c === 'admin' ? 1 : 2]!;
      f = {
        custA,
        custAName,
        archA,
        archABytes: new Uint8Array(readFileSync(zipA)),
        instA,
        instAName,
        publisherKey,
        viewerPassword: passwords.viewer,
        caseA,
        testingCaseA,
        update,
        spareSubscription,
        spareToken,
        uniq,
        ownInstallation,
        shaA,
        onlineA,
        rollout,
        spareArchive,
      };
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('every route the server describes has a row in the matrix, and every row a route', async () => {
      const o = await api(s.url, 'GET', '/openapi.json', null);
      assert.equal(o.status, 200);
      const described: string[] = [];
      for (const [path, ops] of Object.entries(o.body.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(ops)) described.push(`${method.toUpperCase()} ${path}`);
      }
      assert.ok(described.length >= 20, `only ${described.length} routes described`);
      assert.deepEqual(
        described.filter((r) => !(r in ROUTES)),
        [],
        'routes without a row in ROUTES: add one',
      );
      assert.deepEqual(
        Object.keys(ROUTES).filter((r) => !described.includes(r)),
        [],
        'rows for routes the server no longer has',
      );
    });

    /** A token of the same principal that may be used up (for logout). */
    async function freshToken(c: Caller): Promise<string | null> {
      if (isUser(c)) return (await ok('POST', '/v1/tokens', tokens.get(c)!, { name: `fresh-${uniq()}` })).token;
      if (isCustomerUser(c))
        return (await ok('POST', '/v1/login', null, { username: c, password: `${c}-password` })).token;
      if (isCustomer(c))
        return (
          await ok(
            'POST',
            `/v1/customers/${c === 'customer-a' ? f.custA : (await ok('GET', '/v1/me', tokens.get(c)!)).customer}/tokens`,
            adminToken,
            { name: `fresh-${uniq()}` },
          )
        ).token;
      return tokens.get(c) ?? null;
    }

    test('each cell answers the status the rules give', async () => {
      const rows = { ...ROUTES, ...HIDDEN };
      for (const [route, variants] of Object.entries(rows)) {
        const method = route.split(' ')[0]!;
        for (const row of variants) {
          for (const caller of CALLERS) {
            const token = row.consumesToken ? await freshToken(caller) : tokens.get(caller)!;
            const req = row.request(f, caller);
            const res = await fetch(s.url + req.path, requestInit(method, token, req.body));
            const text = await res.text();
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              /* bytes (a download) */
            }
            cells.push({
              route,
              variant: row.name,
              caller,
              method,
              req,
              expected: expect(row, caller),
              status: res.status,
              body,
              text,
            });
          }
        }
      }
      const wrong = cells
        .filter((c) =>
          c.expected === 'ok'
            ? !(c.status >= 200 && c.status < 300)
            : c.status !== c.expected || codeOf(c.body) !== CODE[c.expected],
        )
        .map(
          (c) =>
            `${c.route} [${c.variant}] as ${c.caller}: expected ${c.expected === 'ok' ? '2xx' : `${c.expected} ${CODE[c.expected]}`}, got ${c.status} ${c.text.slice(0, 160)}`,
        );
      assert.deepEqual(
        wrong,
        [],
        `${wrong.length} of ${cells.length} cells differ from the rules:\n${wrong.join('\n')}`,
      );
      // Every kind of expectation occurs, so a rule that silently allows everything would show.
      for (const e of ['ok', 401, 403, 404] as const)
        assert.ok(
          cells.some((c) => c.expected === e),
          `no cell expects ${e}`,
        );
    });

    test("customer B is never shown A's archive ids, installation ids or names", () => {
      assert.ok(cells.length > 0, 'the matrix ran');
      const secrets = [f.archA, f.instA, f.instAName, f.custA, f.custAName];
      const leaks: string[] = [];
      for (const c of cells.filter((x) => x.caller === 'customer-b' || x.caller === 'customer-user-b')) {
        const sent = c.req.path + (c.req.body instanceof Uint8Array ? '' : JSON.stringify(c.req.body ?? ''));
        for (const secret of secrets) {
          // B may read back what it sent itself (an id in an error message); see the next test.
          if (c.text.includes(secret) && !sent.includes(secret))
            leaks.push(`${c.route} [${c.variant}] shows ${secret}: ${c.text.slice(0, 200)}`);
        }
      }
      assert.deepEqual(leaks, []);
    });

    test("listings show A's objects to their owners only", () => {
      const wrong: string[] = [];
      for (const [route, variants] of Object.entries(ROUTES)) {
        for (const row of variants.filter((x) => x.lists)) {
          const id = row.lists!.of === 'archive' ? f.archA : f.instA;
          for (const c of cells.filter(
            (x) => x.route === route && x.variant === row.name && x.status >= 200 && x.status < 300,
          )) {
            const shows = c.text.includes(id);
            const should = isOwner(c.caller, row.lists!.vendorSees);
            if (shows !== should)
              wrong.push(`${route} [${row.name}] as ${c.caller}: ${should ? 'misses' : 'shows'} ${id}`);
          }
        }
      }
      assert.deepEqual(wrong, []);
      // The listings were answered to someone who should see A's objects (the test is not vacuous).
      assert.ok(
        cells.some((c) => c.caller === 'customer-a' && c.route === 'GET /v1/archives' && c.text.includes(f.archA)),
      );
    });

    test("a refusal that hides A's object from B reads exactly like the answer about nothing", async () => {
      const checked: string[] = [];
      for (const [route, variants] of Object.entries(ROUTES)) {
        for (const row of variants.filter((x) => x.foreign?.asAbsent))
          for (const who of ['customer-b', 'customer-user-b'] as const) {
            const c = cells.find((x) => x.route === route && x.variant === row.name && x.caller === who);
            assert.ok(c, `${route} has a ${who} cell`);
            // The same request with A's ids replaced by ids nobody has.
            const swap = new Map([
              [f.archA, `HF-NOBODY-${uniq()}`],
              [f.custA, `nobody-${uniq()}`],
            ]);
            const sub = (x: string, m: Map<string, string>) => [...m].reduce((acc, [a, b]) => acc.split(a).join(b), x);
            const req = row.request(f, who);
            const body =
              req.body === undefined || req.body instanceof Uint8Array
                ? req.body
                : JSON.parse(sub(JSON.stringify(req.body), swap));
            const res = await fetch(
              s.url + sub(req.path, swap),
              requestInit(route.split(' ')[0]!, tokens.get(who)!, body),
            );
            const text = await res.text();
            const back = new Map([...swap].map(([a, b]) => [b, a] as [string, string]));
            assert.equal(res.status, c.status, `${route} as ${who}: status for A's object vs for nothing`);
            assert.equal(sub(text, back), c.text, `${route} as ${who}: body for A's object vs for nothing`);
            checked.push(`${route} as ${who}`);
          }
      }
      assert.ok(checked.length >= 3, checked.join(', '));
    });

    test("nothing B sent naming A's objects was recorded: the fleet shows A's hotfix at A's installation only", async () => {
      assert.ok(
        cells.some((c) => c.caller === 'customer-b' && c.route === 'POST /v1/installations/report' && c.status === 404),
        'the matrix ran',
      );
      const where = await ok('GET', `/v1/fleet/hotfixes/${f.archA}`, adminToken);
      const mineB = (await ok('GET', '/v1/fleet/installations', tokens.get('customer-b')!)).installations.map(
        (i: { id: string }) => i.id,
      ) as string[];
      assert.ok(mineB.length > 0);
      assert.deepEqual(
        where.applied.filter((i: { id: string }) => mineB.includes(i.id)),
        [],
      );
      assert.deepEqual(
        where.events.filter((e: { installation_id: string }) => mineB.includes(e.installation_id)),
        [],
      );
      assert.ok(
        where.events.some((e: { installation_id: string }) => e.installation_id !== f.instA),
        "the owners' reports were recorded (the check is not vacuous)",
      );
      const envB = await ok('GET', '/v1/fleet/installations', tokens.get('customer-b')!);
      assert.ok(!JSON.stringify(envB).includes(f.archA));
    });
  });

function requestInit(method: string, token: string | null, body: unknown): RequestInit {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body instanceof Uint8Array) {
    headers['content-type'] = 'application/zip';
    return { method, headers, body: body as RequestInit['body'] };
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    return { method, headers, body: JSON.stringify(body) };
  }
  return { method, headers };
}
