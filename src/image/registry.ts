import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { HfxError } from '../errors.js';

/** host[:port]/repo[:tag|@digest]; Docker Hub short names are not expanded (name a registry). */
export interface ImageRef {
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPO = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function isValidTag(t: string): boolean {
  return TAG.test(t);
}

/** Parses "name:tag", "host:5000/name:tag" or "host/name@sha256:…". */
export function parseRef(s: string, opts: { needRegistry: boolean }): ImageRef {
  const bad = (why: string) => new HfxError('HFX_E_USAGE', `${JSON.stringify(s)} is not a valid image reference: ${why}`, {
    hint: 'Write it as [HOST[:PORT]/]NAME[:TAG], e.g. 127.0.0.1:5000/wso2am:4.2.0.12 (lowercase name; tag of letters, digits, _ . -, at most 128).',
  });
  let rest = s;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw bad('bad digest');
  }
  let registry = '';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw bad(`the tag ${JSON.stringify(tag)} has characters other than letters, digits, _ . - or is longer than 128`);
  }
  if (!REPO.test(rest)) throw bad(`the name ${JSON.stringify(rest)} must be lowercase letters, digits and separators`);
  if (opts.needRegistry && !registry) throw bad('name the registry host, e.g. 127.0.0.1:5000/NAME:TAG');
  return { registry, repository: rest, tag, digest };
}

type Body = Uint8Array | string | (() => ReadableStream<Uint8Array>);

export interface Creds {
  username: string;
  password: string;
}

export interface RegistryStats {
  blobsUploaded: number;
  bytesUploaded: number;
  blobsSkipped: number;
  blobsMounted: number;
}

/** A tiny OCI distribution client: basic auth and the bearer-token challenge, monolithic uploads. */
export class Registry {
  readonly base: string;
  private auth: string | null = null;
  readonly stats: RegistryStats = { blobsUploaded: 0, bytesUploaded: 0, blobsSkipped: 0, blobsMounted: 0 };

  constructor(readonly host: string, readonly repository: string, private readonly creds: Creds | null, opts: { insecure?: boolean } = {}) {
    const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
    this.base = `${local || opts.insecure ? 'http' : 'https'}://${host}`;
  }

  private async raw(method: string, url: string, init: { headers?: Record<string, string>; body?: Body } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.auth) headers.authorization = this.auth;
    const body = typeof init.body === 'function' ? init.body() : init.body;
    try {
      return await fetch(url.startsWith('http') ? url : `${this.base}${url}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: body as RequestInit['body'], ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) }),
        redirect: 'follow',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new HfxError('HFX_E_NETWORK', `cannot reach the registry ${this.host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, {
        hint: 'Check the host and port, and that the registry runs (plain http is used only for localhost and 127.x, or with --insecure).',
        cause: e,
      });
    }
  }

  /** A request that answers a 401 challenge once (basic or bearer) and retries. */
  async request(method: string, url: string, init: { headers?: Record<string, string>; body?: Body } = {}): Promise<Response> {
    let r = await this.raw(method, url, init);
    if (r.status !== 401) return r;
    const challenge = r.headers.get('www-authenticate') ?? '';
    await r.arrayBuffer().catch(() => undefined);
    if (!this.creds) throw this.authError('the registry wants a login and none was given', 'Pass --username and --password, or set HFX_REGISTRY_USER and HFX_REGISTRY_PASSWORD.');
    if (/^basic/i.test(challenge)) {
      this.auth = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
    } else if (/^bearer/i.test(challenge)) {
      this.auth = `Bearer ${await this.token(challenge)}`;
    } else throw this.authError(`the registry asks for an unknown authentication: ${challenge || '(no challenge)'}`);
    r = await this.raw(method, url, init);
    if (r.status === 401) throw this.authError('the registry refused the user name or password');
    return r;
  }

  private authError(msg: string, hint = 'Check --username/--password (or HFX_REGISTRY_USER/HFX_REGISTRY_PASSWORD).'): HfxError {
    return new HfxError('HFX_E_AUTH', `${this.host}: ${msg}`, { hint });
  }

  private async token(challenge: string): Promise<string> {
    const params: Record<string, string> = {};
    const pairs = challenge.replace(/^bearer\s+/i, '').matchAll(/(\w+)="([^"]*)"/g);
    for (const [, key = '', value = ''] of pairs) params[key] = value;
    if (!params.realm) throw this.authError('the bearer challenge names no realm');
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set('service', params.service);
    u.searchParams.set('scope', params.scope ?? `repository:${this.repository}:pull,push`);
    let r: Response;
    try {
      r = await fetch(u, { headers: this.creds ? { authorization: `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}` } : {} });
    } catch (e) {
      throw new HfxError('HFX_E_NETWORK', `cannot reach the token service ${u.origin}: ${(e as Error).message}`, { cause: e });
    }
    if (r.status === 401 || r.status === 403) throw this.authError('the token service refused the user name or password');
    if (!r.ok) throw new HfxError('HFX_E_REGISTRY', `the token service answered ${r.status}`);
    const j = (await r.json()) as { token?: string; access_token?: string };
    const t = j.token ?? j.access_token;
    if (!t) throw new HfxError('HFX_E_REGISTRY', 'the token service answered without a token');
    return t;
  }

  private async fail(r: Response, what: string): Promise<never> {
    const body = (await r.text().catch(() => '')).slice(0, 300);
    if (r.status === 403) throw new HfxError('HFX_E_FORBIDDEN', `${this.host}: ${what} refused (403): ${body}`);
    throw new HfxError('HFX_E_REGISTRY', `${this.host}: ${what} failed with HTTP ${r.status}: ${body}`, { hint: 'The registry refused the request; its answer is above.' });
  }

  async hasBlob(digest: string): Promise<boolean> {
    const r = await this.request('HEAD', `/v2/${this.repository}/blobs/${digest}`);
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    return this.fail(r, `HEAD blob ${digest}`);
  }

  /** Cross-repository mount (same registry): true when the registry mounted it. */
  async mountBlob(digest: string, from: string): Promise<boolean> {
    const r = await this.request('POST', `/v2/${this.repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);
    if (r.status === 201) {
      this.stats.blobsMounted++;
      return true;
    }
    if (r.status === 202) {
      // not mounted; cancel the upload the registry opened
      const loc = r.headers.get('location');
      if (loc) await this.request('DELETE', this.abs(loc)).catch(() => undefined);
      return false;
    }
    return this.fail(r, `mount ${digest}`);
  }

  private abs(loc: string): string {
    return loc.startsWith('http') ? loc : `${this.base}${loc}`;
  }

  /** Uploads a blob unless the registry has it: POST, then one PUT with the bytes. */
  async putBlob(digest: string, data: Uint8Array | { path: string; size: number }): Promise<boolean> {
    if (await this.hasBlob(digest)) {
      this.stats.blobsSkipped++;
      return false;
    }
    const start = await this.request('POST', `/v2/${this.repository}/blobs/uploads/`);
    if (start.status !== 202) return this.fail(start, 'start an upload');
    await start.arrayBuffer();
    const loc = start.headers.get('location');
    if (!loc) throw new HfxError('HFX_E_REGISTRY', `${this.host}: the upload has no Location`);
    const u = new URL(this.abs(loc));
    u.searchParams.set('digest', digest);
    const size = data instanceof Uint8Array ? data.byteLength : data.size;
    // a file is streamed (layers can exceed what one Buffer holds); a factory, so a retry gets a fresh stream
    const body: Body = data instanceof Uint8Array ? data : () => Readable.toWeb(createReadStream(data.path)) as ReadableStream<Uint8Array>;
    const put = await this.request('PUT', u.toString(), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) }, body });
    if (put.status !== 201) return this.fail(put, `upload ${digest}`);
    await put.arrayBuffer();
    this.stats.blobsUploaded++;
    this.stats.bytesUploaded += size;
    return true;
  }

  async putManifest(ref: string, body: string, mediaType: string): Promise<string> {
    const r = await this.request('PUT', `/v2/${this.repository}/manifests/${ref}`, { headers: { 'content-type': mediaType }, body });
    if (r.status !== 201 && r.status !== 200) return this.fail(r, `PUT manifest ${ref}`);
    await r.arrayBuffer();
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
  }

  async getManifest(ref: string): Promise<{ body: Buffer; mediaType: string }> {
    const r = await this.request('GET', `/v2/${this.repository}/manifests/${ref}`, {
      headers: {
        accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', '),
      },
    });
    if (r.status === 404) throw new HfxError('HFX_E_NOT_FOUND', `${this.host}/${this.repository}:${ref} does not exist`);
    if (!r.ok) return this.fail(r, `GET manifest ${ref}`);
    const body = Buffer.from(await r.arrayBuffer());
    const [mediaType = ''] = (r.headers.get('content-type') ?? '').split(';');
    return { body, mediaType: mediaType.trim() };
  }

  async getBlob(digest: string): Promise<Buffer> {
    const r = await this.request('GET', `/v2/${this.repository}/blobs/${digest}`);
    if (!r.ok) return this.fail(r, `GET blob ${digest}`);
    const b = Buffer.from(await r.arrayBuffer());
    if (`sha256:${createHash('sha256').update(b).digest('hex')}` !== digest) throw new HfxError('HFX_E_INTEGRITY', `${this.host}: blob ${digest} does not match its digest`);
    return b;
  }
}
