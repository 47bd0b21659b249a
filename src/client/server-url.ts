import { HfxError } from '../errors.js';

/**
 * Whether a URL's host is this machine. The hostname must come from WHATWG URL, which has already
 * canonicalised the spellings of an IPv4 address (127.1, 2130706433, 0x7f.1 are all 127.0.0.1) and
 * of an IPv6 one (lower case, compressed, in brackets), so one form per address is left to compare.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  // RFC 6761: *.localhost resolves to loopback; resolvers that follow it never ask the network.
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  // ::1, and 127.0.0.0/8 mapped into IPv6 (URL writes [::ffff:127.0.0.1] as [::ffff:7f00:1]).
  return h === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(h);
}

/**
 * A server URL to log in to: http(s) only, and plain http only to this machine unless the user says
 * the network is trusted. A login sends a password or a token, and every later request the token;
 * over http on a network anyone between could read and reuse it. Checked before any request.
 */
export function checkServerUrl(raw: string, opts: { insecure: boolean }): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new HfxError('HFX_E_USAGE', `${raw} is not a URL`, { hint: 'Give the server as https://HOST[:PORT].' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new HfxError('HFX_E_USAGE', `${raw} is not an http(s) URL`, {
      hint: 'Give the server as https://HOST[:PORT].',
    });
  }
  if (u.protocol === 'http:' && !opts.insecure && !isLoopbackHost(u.hostname)) {
    throw new HfxError(
      'HFX_E_INSECURE',
      `${raw} is plain http to another host: the token or password, and every later request's token, would cross the network in clear`,
      { hint: 'Use https://. Only on a network you trust, add --insecure.' },
    );
  }
  return u;
}
