import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, isIPv4, type LookupFunction } from 'node:net';
import { HfxError } from '../../errors.js';

/**
 * Where a webhook may not go (SSRF): a release manager names the URL, the server makes the
 * request from inside the vendor's network. `--webhook-allow` opens chosen ranges again.
 * Each entry: network, prefix length, and how the range is named in a refusal.
 */
const BLOCKED_V4: readonly (readonly [string, number, string])[] = [
  // Connecting to 0.0.0.0 reaches the local host on Linux and macOS.
  ['0.0.0.0', 8, 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'a private-use address'],
  // Carrier-grade NAT: the provider's internal side, often cloud-internal services.
  ['100.64.0.0', 10, 'a shared (CGNAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  // Includes the cloud metadata service 169.254.169.254, which hands out credentials.
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private-use address'],
  // IETF protocol assignments (DS-Lite, NAT64 discovery …): never a receiver on the internet.
  ['192.0.0.0', 24, 'an IETF protocol address'],
  // Documentation and benchmarking ranges are not routed publicly; internally they may be anything.
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.168.0.0', 16, 'a private-use address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  // A TCP connection to these is meaningless or reaches the local segment.
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
  ['255.255.255.255', 32, 'the broadcast address'],
];

const BLOCKED_V6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'the unspecified address'],
  ['::1', 128, 'a loopback address'],
  // Deprecated IPv4-compatible addresses (::a.b.c.d): some stacks still tunnel them to the IPv4 address.
  ['::', 96, 'an IPv4-compatible address'],
  // IPv4 spelled as IPv6 (::ffff:127.0.0.1) reaches the IPv4 address: judged by it for the allow list.
  ['::ffff:0:0', 96, 'an IPv4-mapped address'],
  // NAT64 gateways translate these to the embedded IPv4 address, internal ones included.
  ['64:ff9b::', 96, 'a NAT64 address'],
  ['64:ff9b:1::', 48, 'a local-use NAT64 address'],
  ['100::', 64, 'a discard-only address'],
  // IETF special purpose, including Teredo (2001::/32), which tunnels to an embedded IPv4 address.
  ['2001::', 23, 'an IETF special-purpose address'],
  ['2001:db8::', 32, 'a documentation address'],
  // 6to4 embeds an IPv4 address (2002:7f00:1:: is 127.0.0.1) that a relay would reach.
  ['2002::', 16, 'a 6to4 address'],
  ['fc00::', 7, 'a unique-local (private) address'],
  ['fe80::', 10, 'a link-local address'],
  // Site-local is deprecated but still means "this site".
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

interface Range {
  family: 'ipv4' | 'ipv6';
  cidr: string;
  label: string;
  list: BlockList;
}

// One BlockList per range so a refusal can name the range. BlockList matches an IPv4 address
// against an IPv6 rule through ::ffff:0:0/96 (and back), so a single mixed list holding that rule
// would block every IPv4 address: each list holds one family and is only asked about that family.
const RANGES: readonly Range[] = [
  ...BLOCKED_V4.map(([net, bits, label]) => range('ipv4', net, bits, label)),
  ...BLOCKED_V6.map(([net, bits, label]) => range('ipv6', net, bits, label)),
];

function range(family: 'ipv4' | 'ipv6', net: string, bits: number, label: string): Range {
  const list = new BlockList();
  list.addSubnet(net, bits, family);
  return { family, cidr: `${net}/${bits}`, label, list };
}

/** The operator's `--webhook-allow` ranges, which override the block list. */
export class AllowList {
  private readonly v4 = new BlockList();
  private readonly v6 = new BlockList();

  constructor(readonly cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr = '', bits, ...rest] = c.split('/');
      const family = isIP(addr);
      const max = family === 6 ? 128 : 32;
      const n = bits === undefined ? max : Number(bits);
      if (family === 0 || rest.length || (bits !== undefined && !/^\d+$/.test(bits)) || n > max) {
        throw new HfxError('HFX_E_USAGE', `webhook allow list: ${JSON.stringify(c)} is not an address or CIDR`);
      }
      // ::ffff:10.0.0.0/104 is 10.0.0.0/8 spelled in IPv6: it opens that IPv4 range.
      const mapped = family === 6 && n >= 96 ? mappedV4(canonical(addr)) : null;
      if (family === 4) this.v4.addSubnet(addr, n, 'ipv4');
      else if (mapped !== null) this.v4.addSubnet(mapped, n - 96, 'ipv4');
      else this.v6.addSubnet(addr, n, 'ipv6');
    }
  }

  /**
   * `ip` is canonical (see `canonical`). An IPv4-mapped address reaches its IPv4 address, so only
   * IPv4 ranges open it: `--webhook-allow ::/0` does not open [::ffff:127.0.0.1].
   */
  has(ip: string): boolean {
    const v4 = isIPv4(ip) ? ip : mappedV4(ip);
    return v4 !== null ? this.v4.check(v4, 'ipv4') : this.v6.check(ip, 'ipv6');
  }
}

export type Allow = AllowList | readonly string[];

// The server passes the same limits array on every delivery: parse it once.
const parsed = new WeakMap<readonly string[], AllowList>();

export function allowList(cidrs: readonly string[]): AllowList {
  let a = parsed.get(cidrs);
  if (!a) parsed.set(cidrs, (a = new AllowList(cidrs)));
  return a;
}

const asAllow = (allow: Allow | undefined): AllowList => (allow instanceof AllowList ? allow : allowList(allow ?? []));

/**
 * One spelling per address, so the lists and the messages see what the socket will reach: the
 * WHATWG serialiser writes IPv6 compressed, lower case, without dotted quads (::ffff:7f00:1).
 * A zone (fe80::1%eth0) is dropped: the address decides, not the interface.
 */
function canonical(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

/** 127.0.0.1 for ::ffff:7f00:1, else null (`ip` canonical). */
function mappedV4(ip: string): string | null {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!m) return null;
  const [, high = '', low = ''] = m;
  const hi = parseInt(high, 16);
  const lo = parseInt(low, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The blocked range `ip` is in and not allowed out of, or null when it may be reached. */
function blockedBy(ip: string, allow: AllowList): Range | null {
  const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
  const r = RANGES.find((x) => x.family === family && x.list.check(ip, family));
  return r && !allow.has(ip) ? r : null;
}

const HINT =
  'The hfx server does not send webhooks to loopback, private, link-local or other internal addresses. ' +
  'If this receiver is in-house on purpose, the server operator can open its range: hfx serve --webhook-allow CIDR (HFX_WEBHOOK_ALLOW).';

function blocked(message: string): HfxError {
  return new HfxError('HFX_E_TARGET_BLOCKED', message, { hint: HINT });
}

/** Throws HFX_E_TARGET_BLOCKED unless `ip` is outside every blocked range or inside an allowed one. */
export function checkAddress(ip: string, allow?: Allow): void {
  if (isIP(ip.replace(/%.*$/, '')) === 0)
    throw new HfxError('HFX_E_USAGE', `${JSON.stringify(ip)} is not an IP address`);
  const c = canonical(ip);
  const r = blockedBy(c, asAllow(allow));
  if (r) throw blocked(`webhook target ${c} is blocked: ${r.label} (${r.cidr})`);
}

/** `localhost` and `*.localhost` are loopback whatever DNS says (RFC 6761); resolvers answer them locally. */
function isLoopbackName(host: string): boolean {
  const name = host.replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The IP literal of a parsed URL's host (brackets removed), or null for a host name. */
function literalOf(u: URL): string | null {
  if (u.hostname.startsWith('[')) return u.hostname.slice(1, -1);
  return isIPv4(u.hostname) ? u.hostname : null;
}

/**
 * A webhook URL as the server will use it, checked without DNS: the receiver's name may not
 * resolve yet when it is subscribed, and what it resolves to is checked at every delivery.
 * The WHATWG parser turns 2130706433, 0x7f.1, 127.1, 0177.0.0.1 and [::ffff:127.0.0.1] into
 * one canonical host, which is what is checked and what the socket connects to.
 */
export function checkWebhookUrl(url: string, allow?: Allow): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HfxError('HFX_E_USAGE', 'a webhook target is an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new HfxError('HFX_E_USAGE', 'a webhook target is an http(s) URL');
  // Credentials in the URL would be shown to every release manager and kept in the audit log.
  if (u.username || u.password) {
    throw new HfxError('HFX_E_USAGE', 'a webhook URL may not carry a user name or password (user:pass@)', {
      hint: 'The receiver checks the X-Hfx-Signature header instead.',
    });
  }
  const ip = literalOf(u);
  if (ip !== null) checkAddress(ip, allow);
  else if (isLoopbackName(u.hostname)) {
    const a = asAllow(allow);
    if (!a.has('127.0.0.1') && !a.has('::1')) throw blocked(`webhook target ${u.hostname} is blocked: a loopback name`);
  }
  return u;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface PostWebhookOptions {
  allow?: Allow;
  /** Aborts the delivery (the worker stopping). */
  signal?: AbortSignal;
  /** For the whole exchange: resolve, connect, send, the status line and the bit of answer read (default 10 s). */
  timeoutMs?: number;
  /** Every address of a host name; tests answer what a rebinding DNS server would. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How much of an accepting receiver's answer is read before the connection is closed. */
const ANSWER_BYTES = 64 * 1024;

const systemLookup = (hostname: string) => dnsLookup(hostname, { all: true });

/**
 * POSTs one webhook. The host name is resolved once; if any of its addresses is blocked the
 * delivery is refused before connecting, and otherwise the socket gets exactly the addresses
 * checked (no second lookup an attacker's DNS could answer differently). Redirects are not
 * followed: a receiver could otherwise point the server anywhere.
 *
 * Every failure but a blocked address gets one message: a refused connection, a reset, a
 * timeout or an HTTP status would otherwise tell whoever reads the outbox which internal ports
 * are open. The cause is kept on the error for the server's own log.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
  o: PostWebhookOptions = {},
): Promise<{ status: number }> {
  const allow = asAllow(o.allow);
  const u = checkWebhookUrl(url, allow);
  const timeoutMs = o.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const seconds = +(timeoutMs / 1000).toFixed(3);
  const failed = (cause: unknown) =>
    new Error(`webhook delivery failed: the receiver did not accept it (no 2xx answer within ${seconds} s)`, { cause });
  const resolve = o.lookup ?? systemLookup;
  let refusal: HfxError | null = null;

  const lookup: LookupFunction = (hostname, options, cb) => {
    resolve(hostname)
      .then((all) => {
        const addrs = all.map((a) => ({ address: canonical(a.address), family: isIPv4(canonical(a.address)) ? 4 : 6 }));
        if (!addrs.length) throw new Error(`${hostname} has no address`);
        // Any blocked answer refuses the name: a receiver has no reason to list an internal address.
        if (addrs.some((a) => blockedBy(a.address, allow))) {
          throw (refusal = blocked(
            `webhook target ${u.hostname} is blocked: it resolves to a loopback, private, link-local or other internal address`,
          ));
        }
        const usable =
          options.family === 4 || options.family === 6 ? addrs.filter((a) => a.family === options.family) : addrs;
        const [first] = usable;
        if (!first) throw new Error(`${hostname} has no IPv${String(options.family)} address`);
        if (options.all) cb(null, usable);
        else cb(null, first.address, first.family);
      })
      .catch((e: unknown) => cb(e as NodeJS.ErrnoException, '', 0));
  };

  const ip = literalOf(u);
  const signal = o.signal
    ? AbortSignal.any([o.signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const opts: RequestOptions & { servername?: string } = {
    method: 'POST',
    host: ip ?? u.hostname,
    port: u.port || (u.protocol === 'https:' ? 443 : 80),
    path: `${u.pathname}${u.search}`,
    headers: { ...headers, host: u.host, 'content-length': String(data.byteLength), connection: 'close' },
    // A fresh connection per delivery: a pooled socket could be one opened before a policy change.
    agent: false,
    signal,
    // IP literals were checked above; Node does not call `lookup` for them.
    ...(ip === null ? { lookup, servername: u.hostname.replace(/\.+$/, '') } : {}),
  };
  return new Promise((done, fail) => {
    let settled = false;
    const give = (e: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      fail(refusal ?? failed(e));
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(opts, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      // 3xx included: a redirect is not followed, so it was not accepted.
      if (status < 200 || status >= 300) {
        res.destroy();
        give(new Error(`HTTP ${status}`));
        return;
      }
      // Accepted. Read a little of the answer so the receiver is not cut off mid-write, then close.
      let seen = 0;
      const ok = () => {
        if (settled) return;
        settled = true;
        res.destroy();
        req.destroy();
        done({ status });
      };
      res.on('data', (d: Buffer) => {
        seen += d.length;
        if (seen >= ANSWER_BYTES) ok();
      });
      res.on('end', ok);
      res.on('error', ok);
      res.on('close', ok);
    });
    req.on('error', give);
    req.end(data);
  });
}
