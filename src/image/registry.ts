import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
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

export function isValidRepository(r: string): boolean {
  return REPO.test(r);
}

/** Parses "name:tag", "host:5000/name:tag" or "host/name@sha256:…". */
export function parseRef(s: string, opts: { needRegistry: boolean }): ImageRef {
  const bad = (why: string) =>
    new HfxError('HFX_E_USAGE', `${JSON.stringify(s)} is not a valid image reference: ${why}`, {
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
    if (!isValidTag(tag))
      throw bad(
        `the tag ${JSON.stringify(tag)} has characters other than letters, digits, _ . - or is longer than 128`,
      );
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

export interface RegistryOptions {
  insecure?: boolean;
  /**
   * How long a request may wait for the registry's answer, and a streamed body for its next
   * piece; an upload also gets a second per MiB it sends. Unset: no limit (`hfx image`).
   */
  timeoutMs?: number;
}

/** A blob being read: its bytes as a stream, and what the registry said of them. */
export interface BlobStream {
  /** 206 when the registry honoured the Range asked for, else 200 (the whole blob). */
  status: 200 | 206;
  /** Bytes this answer carries. */
  length: number;
  body: Readable;
}

interface RequestInit2 {
  headers?: Record<string, string>;
  body?: Body;
  /** Bytes of the body, which lengthen the time it is given. */
  bodySize?: number;
}

/** Uploads are given their timeout plus this much time per byte: 1 MiB/s. */
const MIN_UPLOAD_RATE = 1024 * 1024;

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

  private readonly timeoutMs: number | undefined;

  constructor(
    readonly host: string,
    readonly repository: string,
    private readonly creds: Creds | null,
    opts: RegistryOptions = {},
  ) {
    const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
    this.base = `${local || opts.insecure ? 'http' : 'https'}://${host}`;
    this.timeoutMs = opts.timeoutMs;
  }

  private timeoutFor(bodySize = 0): number | undefined {
    return this.timeoutMs === undefined ? undefined : this.timeoutMs + Math.ceil((bodySize / MIN_UPLOAD_RATE) * 1000);
  }

  /** The error of a request that failed without an answer: unreachable, or no answer in time. */
  private unreachable(e: unknown, ms: number | undefined): HfxError {
    if (e instanceof HfxError) return e;
    const name = (e as { name?: string }).name;
    if ((name === 'TimeoutError' || name === 'AbortError') && ms !== undefined) {
      return new HfxError(
        'HFX_E_NETWORK',
        `the registry ${this.host} did not answer within ${Math.round(ms / 100) / 10} s`,
        {
          hint: 'The registry is overloaded or stuck; try again later, or check it.',
          cause: e,
        },
      );
    }
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new HfxError(
      'HFX_E_NETWORK',
      `cannot reach the registry ${this.host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      {
        hint: 'Check the host and port, and that the registry runs (plain http is used only for localhost and 127.x, or with --insecure).',
        cause: e,
      },
    );
  }

  private async raw(method: string, url: string, init: RequestInit2 = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.auth) headers.authorization = this.auth;
    const body = typeof init.body === 'function' ? init.body() : init.body;
    const ms = this.timeoutFor(init.bodySize);
    // The whole exchange, body included, is bounded: answers read through fetch are small.
    const signal = ms === undefined ? undefined : AbortSignal.timeout(ms);
    try {
      return await fetch(url.startsWith('http') ? url : `${this.base}${url}`, {
        method,
        headers,
        ...(body === undefined
          ? {}
          : { body: body as RequestInit['body'], ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) }),
        redirect: 'follow',
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      throw this.unreachable(signal?.aborted ? signal.reason : e, ms);
    }
  }

  /** Reads an answer's body, whose failure (cut off, timed out) is a network error like the request's. */
  private async bytes(r: Response): Promise<Buffer> {
    try {
      return Buffer.from(await r.arrayBuffer());
    } catch (e) {
      throw this.unreachable(e, this.timeoutMs);
    }
  }

  /** A request that answers a 401 challenge once (basic or bearer) and retries. */
  async request(method: string, url: string, init: RequestInit2 = {}): Promise<Response> {
    let r = await this.raw(method, url, init);
    if (r.status !== 401) return r;
    const challenge = r.headers.get('www-authenticate') ?? '';
    await r.body?.cancel().catch(() => undefined);
    if (!this.creds)
      throw this.authError(
        'the registry wants a login and none was given',
        'Pass --username and --password, or set HFX_REGISTRY_USER and HFX_REGISTRY_PASSWORD.',
      );
    if (/^basic/i.test(challenge)) {
      this.auth = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
    } else if (/^bearer/i.test(challenge)) {
      this.auth = `Bearer ${await this.token(challenge)}`;
    } else throw this.authError(`the registry asks for an unknown authentication: ${challenge || '(no challenge)'}`);
    r = await this.raw(method, url, init);
    if (r.status === 401) throw this.authError('the registry refused the user name or password');
    return r;
  }

  private authError(
    msg: string,
    hint = 'Check --username/--password (or HFX_REGISTRY_USER/HFX_REGISTRY_PASSWORD).',
  ): HfxError {
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
    const ms = this.timeoutFor();
    try {
      r = await fetch(u, {
        headers: this.creds
          ? {
              authorization: `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`,
            }
          : {},
        ...(ms === undefined ? {} : { signal: AbortSignal.timeout(ms) }),
      });
    } catch (e) {
      throw new HfxError('HFX_E_NETWORK', `cannot reach the token service ${u.origin}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (r.status === 401 || r.status === 403)
      throw this.authError('the token service refused the user name or password');
    if (!r.ok) throw new HfxError('HFX_E_REGISTRY', `the token service answered ${r.status}`);
    let j: { token?: string; access_token?: string };
    try {
      j = JSON.parse((await this.bytes(r)).toString('utf8')) as typeof j;
    } catch (e) {
      if (e instanceof HfxError) throw e;
      throw new HfxError('HFX_E_REGISTRY', 'the token service answered something other than JSON');
    }
    const t = j.token ?? j.access_token;
    if (!t) throw new HfxError('HFX_E_REGISTRY', 'the token service answered without a token');
    return t;
  }

  private async fail(r: Response, what: string): Promise<never> {
    const body = (await this.bytes(r).catch(() => Buffer.alloc(0))).toString('utf8').slice(0, 300);
    if (r.status === 403) throw new HfxError('HFX_E_FORBIDDEN', `${this.host}: ${what} refused (403): ${body}`);
    throw new HfxError('HFX_E_REGISTRY', `${this.host}: ${what} failed with HTTP ${r.status}: ${body}`, {
      hint: 'The registry refused the request; its answer is above.',
    });
  }

  /** Whether the registry answers the API (with a login when it asks for one). */
  async ping(): Promise<void> {
    const r = await this.request('GET', '/v2/');
    if (!r.ok) return this.fail(r, 'GET /v2/');
    await r.body?.cancel();
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await this.blobSize(digest)) !== null;
  }

  /** A blob's size, or null when the repository does not have it. */
  async blobSize(digest: string): Promise<number | null> {
    const r = await this.request('HEAD', `/v2/${this.repository}/blobs/${digest}`);
    if (r.status === 404) return null;
    if (r.status !== 200) return this.fail(r, `HEAD blob ${digest}`);
    const n = Number(r.headers.get('content-length'));
    if (!Number.isSafeInteger(n) || n < 0)
      throw new HfxError('HFX_E_REGISTRY', `${this.host}: HEAD blob ${digest} answered without a size`);
    return n;
  }

  /**
   * Streams a blob, or the bytes `range` names (inclusive). A pause of the timeout, before the
   * answer or within its body, fails it with HFX_E_NETWORK; the caller checks the digest.
   */
  async openBlob(digest: string, range?: { start: number; end: number }): Promise<BlobStream> {
    const path = `/v2/${this.repository}/blobs/${digest}`;
    let url = new URL(`${this.base}${path}`);
    let res = await this.streamGet(url, range, true);
    if (res.statusCode === 401) {
      res.resume();
      // The login is negotiated (basic or bearer) the way every other request does it, then asked again.
      const probe = await this.request('HEAD', path);
      await probe.body?.cancel();
      res = await this.streamGet(url, range, true);
      if (res.statusCode === 401) {
        res.resume();
        throw this.authError('the registry refused the user name or password');
      }
    }
    // Registries that keep blobs in object storage redirect there; the login is not sent along.
    for (let hops = 0; (res.statusCode ?? 0) >= 300 && (res.statusCode ?? 0) < 400 && res.headers.location; hops++) {
      res.resume();
      if (hops >= 5) throw new HfxError('HFX_E_REGISTRY', `${this.host}: too many redirects for blob ${digest}`);
      const next = new URL(res.headers.location, url);
      res = await this.streamGet(next, range, next.origin === url.origin);
      url = next;
    }
    if (res.statusCode === 404) {
      res.resume();
      throw new HfxError('HFX_E_NOT_FOUND', `${this.host}/${this.repository} has no blob ${digest}`);
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) {
      let body = '';
      for await (const chunk of res as AsyncIterable<Buffer>) if (body.length < 300) body += chunk.toString('utf8');
      if (res.statusCode === 403)
        throw new HfxError('HFX_E_FORBIDDEN', `${this.host}: GET blob ${digest} refused (403): ${body.slice(0, 300)}`);
      throw new HfxError(
        'HFX_E_REGISTRY',
        `${this.host}: GET blob ${digest} failed with HTTP ${res.statusCode ?? '?'}: ${body.slice(0, 300)}`,
        { hint: 'The registry refused the request; its answer is above.' },
      );
    }
    const length = Number(res.headers['content-length']);
    return { status: res.statusCode, length: Number.isSafeInteger(length) ? length : -1, body: res };
  }

  /**
   * One GET through node:http rather than fetch: a blob's bytes then reach the caller as a Node
   * stream without a web-stream conversion per piece (downloads through the server's registry
   * store run about a third faster). The socket's idle timeout covers the wait for the answer and
   * every pause in its body.
   */
  private streamGet(
    url: URL,
    range: { start: number; end: number } | undefined,
    withLogin: boolean,
  ): Promise<IncomingMessage> {
    const headers: Record<string, string> = {};
    if (withLogin && this.auth) headers.authorization = this.auth;
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const ms = this.timeoutMs;
    return new Promise((resolve, reject) => {
      let answer: IncomingMessage | null = null;
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        { method: 'GET', headers, ...(ms === undefined ? {} : { timeout: ms }) },
        (res) => {
          answer = res;
          resolve(res);
        },
      );
      req.on('timeout', () => {
        const err = this.unreachable(new DOMException('timed out', 'TimeoutError'), ms);
        answer?.destroy(err);
        req.destroy(err);
      });
      req.on('error', (e) => reject(this.unreachable(e, ms)));
      req.end();
    });
  }

  /** Cross-repository mount (same registry): true when the registry mounted it. */
  async mountBlob(digest: string, from: string): Promise<boolean> {
    const r = await this.request(
      'POST',
      `/v2/${this.repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
    );
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
    await this.bytes(start);
    const loc = start.headers.get('location');
    if (!loc) throw new HfxError('HFX_E_REGISTRY', `${this.host}: the upload has no Location`);
    const u = new URL(this.abs(loc));
    u.searchParams.set('digest', digest);
    const size = data instanceof Uint8Array ? data.byteLength : data.size;
    // a file is streamed (layers can exceed what one Buffer holds); a factory, so a retry gets a fresh stream
    const body: Body =
      data instanceof Uint8Array
        ? data
        : () => Readable.toWeb(createReadStream(data.path)) as ReadableStream<Uint8Array>;
    const put = await this.request('PUT', u.toString(), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      bodySize: size,
    });
    if (put.status !== 201) return this.fail(put, `upload ${digest}`);
    await this.bytes(put);
    this.stats.blobsUploaded++;
    this.stats.bytesUploaded += size;
    return true;
  }

  async putManifest(ref: string, body: string | Uint8Array, mediaType: string): Promise<string> {
    const r = await this.request('PUT', `/v2/${this.repository}/manifests/${ref}`, {
      headers: { 'content-type': mediaType },
      body,
    });
    if (r.status !== 201 && r.status !== 200) return this.fail(r, `PUT manifest ${ref}`);
    await this.bytes(r);
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
  }

  /** A manifest by tag or digest; one named by digest is checked against it. */
  async getManifest(ref: string, opts: { maxBytes?: number } = {}): Promise<{ body: Buffer; mediaType: string }> {
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
    if (r.status === 404) {
      await r.body?.cancel();
      throw new HfxError(
        'HFX_E_NOT_FOUND',
        `${this.host}/${this.repository}${ref.startsWith('sha256:') ? '@' : ':'}${ref} does not exist`,
        { hint: 'Check the repository and the tag (an archive is tagged with its id).' },
      );
    }
    if (!r.ok) return this.fail(r, `GET manifest ${ref}`);
    const announced = Number(r.headers.get('content-length'));
    if (opts.maxBytes !== undefined && announced > opts.maxBytes) {
      await r.body?.cancel();
      throw new HfxError(
        'HFX_E_REGISTRY',
        `${this.host}: the manifest ${ref} is ${announced} bytes, more than ${opts.maxBytes}`,
      );
    }
    const body = await this.bytes(r);
    if (ref.startsWith('sha256:') && `sha256:${createHash('sha256').update(body).digest('hex')}` !== ref) {
      throw new HfxError('HFX_E_INTEGRITY', `${this.host}: the manifest ${ref} does not match its digest`, {
        hint: 'The registry or something between it and you changed it; nothing was changed.',
      });
    }
    const [mediaType = ''] = (r.headers.get('content-type') ?? '').split(';');
    return { body, mediaType: mediaType.trim() };
  }

  async getBlob(digest: string): Promise<Buffer> {
    const r = await this.request('GET', `/v2/${this.repository}/blobs/${digest}`);
    if (!r.ok) return this.fail(r, `GET blob ${digest}`);
    const b = await this.bytes(r);
    if (`sha256:${createHash('sha256').update(b).digest('hex')}` !== digest)
      throw new HfxError('HFX_E_INTEGRITY', `${this.host}: blob ${digest} does not match its digest`);
    return b;
  }
}
