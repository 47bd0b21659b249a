// HTTP at the socket level, for what fetch cannot show: a request from another loopback address
// (127.0.0.2…), an answer that comes before the body was sent, a connection the server closed.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Json } from './json.js';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: Json;
}

/** A JSON request sent from `from` (a local address such as 127.0.0.2; Linux routes all of 127/8 to loopback). */
export function jsonFrom(
  url: string,
  method: string,
  path: string,
  opts: { from?: string; token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        agent: false,
        ...(opts.from ? { localAddress: opts.from } : {}),
        headers: {
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface Exchange {
  socket: Socket;
  /** Resolves with the first answer, or status 0 when the server closed the connection without one. */
  answer: Promise<RawAnswer & { closed: boolean; ms: number }>;
  /** Resolves when the server has closed the connection, with the milliseconds since it was opened. */
  closed: Promise<number>;
}

/** Opens a connection and writes `head` (request line and headers, maybe part of a body); the test writes more through `socket`. */
export function rawExchange(port: number, head: string, opts: { from?: string } = {}): Exchange {
  const t0 = Date.now();
  const socket = connect({ port, host: '127.0.0.1', ...(opts.from ? { localAddress: opts.from } : {}) });
  let buf = '';
  let closedAt: number | null = null;
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve((closedAt = Date.now() - t0))));
  const answer = new Promise<RawAnswer & { closed: boolean; ms: number }>((resolve) => {
    const done = () => {
      const sep = buf.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d+)/.exec(buf);
      const headers: Record<string, string> = {};
      for (const line of buf.slice(0, Math.max(0, sep)).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      const body = sep >= 0 ? buf.slice(sep + 4) : '';
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* not JSON, or chunked */
      }
      resolve({ status: m ? Number(m[1]) : 0, headers, body, json, closed: closedAt !== null, ms: Date.now() - t0 });
    };
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const sep = buf.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: (\d+)/i.exec(buf);
      if (sep >= 0 && len && buf.length >= sep + 4 + Number(len[1])) done();
    });
    socket.on('close', done);
    socket.on('error', () => {
      /* a reset connection also ends in 'close', which answers */
    });
  });
  socket.write(head);
  return { socket, answer, closed };
}
