// HTTP helpers for tests: a closable local server, an exact-bytes client, and a
// strict WWW-Authenticate parser. Node built-ins only; everything on 127.0.0.1.

import http from 'node:http';
import net from 'node:net';
import { listenFresh } from './ports.mjs';

/**
 * Serve an express app or plain `(req, res)` handler on 127.0.0.1:0.
 * close() destroys every open socket (keep-alive, hanging) so it resolves quickly.
 * @returns {Promise<{ url: string, port: number, server: http.Server, close: () => Promise<void> }>}
 */
export async function startHttp(app, { port = 0 } = {}) {
  const server = http.createServer(app);
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Never an earlier server's port: some of these serve a JWKS (ports.mjs).
  const actualPort = await listenFresh(server, { port });
  let closing = null;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    server,
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}

/**
 * Send `raw` (string or Buffer) verbatim over TCP and parse the first response.
 * Lets tests send what fetch() refuses to: duplicate Authorization headers,
 * bad framing, odd casing. Pipelined requests: only the first response is read.
 * Interim 1xx responses are skipped. The socket is closed once the response is complete.
 *
 * @returns {Promise<{ status: number, statusText: string, httpVersion: string,
 *   headers: Array<[string, string]>, body: string, bodyBytes: Buffer }>}
 *   headers keep order and duplicates; names are lower-cased.
 * Rejects if the connection ends before a status line + headers arrive (code 'ENORESPONSE')
 * or when `timeoutMs` elapses (code 'ETIMEDOUT').
 */
export function rawRequest(port, raw, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
  const isHead = /^HEAD /.test(Buffer.from(raw).subarray(0, 5).toString('latin1'));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(Object.assign(new Error(`rawRequest: no complete response in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );

    socket.on('connect', () => socket.write(raw));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const res = tryParseResponse(buf, isHead, false);
        if (res) finish(null, res);
      } catch (err) {
        finish(err);
      }
    });
    const onEnd = (err) => {
      if (settled) return;
      // A body delimited by connection close is complete now; anything else is truncated.
      let res;
      try {
        res = tryParseResponse(buf, isHead, true);
      } catch (parseErr) {
        return finish(parseErr);
      }
      if (res) return finish(null, res);
      const e = new Error(
        buf.length ? 'rawRequest: connection closed mid-response' : 'rawRequest: connection closed without a response',
      );
      e.code = buf.length ? 'EINCOMPLETE' : 'ENORESPONSE';
      e.partial = buf.toString('latin1');
      if (err) e.cause = err;
      finish(e);
    };
    socket.on('end', () => onEnd());
    socket.on('error', (err) => onEnd(err));
    socket.on('close', () => onEnd());
  });
}

/** All values of header `name` from a rawRequest() headers array. */
export function headerValues(headers, name) {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k === n).map(([, v]) => v);
}

// Returns the parsed response once complete, else null (need more bytes).
function tryParseResponse(buf, isHead, eof) {
  let start = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', start);
    if (headEnd < 0) return null;
    const lines = buf.subarray(start, headEnd).toString('latin1').split('\r\n');
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) throw new Error(`rawRequest: bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[2]);
    const headers = [];
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i <= 0) throw new Error(`rawRequest: bad header line ${JSON.stringify(line)}`);
      headers.push([line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()]);
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      start = bodyStart; // interim response: the real one follows
      continue;
    }
    const make = (bodyBytes) => ({
      status,
      statusText: m[3] ?? '',
      httpVersion: m[1],
      headers,
      body: bodyBytes.toString('utf8'),
      bodyBytes,
    });
    if (isHead || status === 204 || status === 304) return make(Buffer.alloc(0));

    const te = headerValues(headers, 'transfer-encoding').join(',').toLowerCase();
    if (te.includes('chunked')) {
      const body = decodeChunked(buf.subarray(bodyStart));
      return body ? make(body) : null;
    }
    const cl = headerValues(headers, 'content-length');
    if (cl.length) {
      const len = Number(cl[0]);
      return buf.length - bodyStart >= len ? make(buf.subarray(bodyStart, bodyStart + len)) : null;
    }
    return eof ? make(buf.subarray(bodyStart)) : null; // delimited by close
  }
}

// Decodes a complete chunked body, or returns null if more bytes are needed.
function decodeChunked(buf) {
  const parts = [];
  let pos = 0;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd < 0) return null;
    const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0].trim(), 16);
    if (Number.isNaN(size)) throw new Error('rawRequest: bad chunk size');
    pos = lineEnd + 2;
    if (size === 0) {
      // Skip trailers up to the terminating empty line.
      if (buf.subarray(pos, pos + 2).toString('latin1') === '\r\n') return Buffer.concat(parts);
      return buf.indexOf('\r\n\r\n', pos) < 0 ? null : Buffer.concat(parts);
    }
    if (buf.length < pos + size + 2) return null;
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}

// ---- WWW-Authenticate (RFC 9110 §11.6.1 / §5.6) ----------------------------

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parse a WWW-Authenticate value that must hold exactly one Bearer challenge,
 * plus at most the resource's DPoP challenge (RFC 9449 §7.1: DPoP is
 * 'allowed' by default), which must then carry `algs`, the same
 * resource_metadata and scope, and no error when the Bearer one has it.
 * Returns the Bearer challenge: `{ scheme, params }` (plus `token68`).
 * Returns `{ scheme, params }` (plus `token68` when the challenge uses that form).
 * Param names are lower-cased (they are case-insensitive); values are unescaped.
 * Throws SyntaxError on anything the RFC grammar does not allow (including empty
 * list elements) and on duplicate params, so tests fail loudly on bad headers.
 * An array (several header lines) is treated as their comma-joined combination.
 */
export function parseWwwAuthenticate(value) {
  const challenges = parseWwwAuthenticateAll(value);
  const [first, dpop, ...rest] = challenges;
  const dpopOk =
    dpop === undefined ||
    (dpop.scheme === 'DPoP' &&
      typeof dpop.params.algs === 'string' &&
      dpop.params.resource_metadata === first.params.resource_metadata &&
      dpop.params.scope === first.params.scope &&
      (first.params.error === undefined || dpop.params.error === undefined));
  if (challenges.length === 0 || rest.length > 0 || !dpopOk) {
    throw new SyntaxError(`expected one challenge (and the DPoP one), got ${challenges.length}: ${JSON.stringify(value)}`);
  }
  return first;
}

/** Parse every challenge in a WWW-Authenticate value: `[{ scheme, params, token68? }]`. */
export function parseWwwAuthenticateAll(value) {
  if (Array.isArray(value)) value = value.join(', ');
  if (typeof value !== 'string') throw new TypeError('WWW-Authenticate value must be a string');
  const s = value;
  let pos = 0;
  const fail = (msg) => {
    throw new SyntaxError(`WWW-Authenticate: ${msg} at offset ${pos} in ${JSON.stringify(s)}`);
  };
  const eof = () => pos >= s.length;
  const ows = () => {
    while (s[pos] === ' ' || s[pos] === '\t') pos++;
  };
  const token = () => {
    const start = pos;
    while (!eof() && TCHAR.test(s[pos])) pos++;
    return s.slice(start, pos);
  };
  const quotedString = () => {
    pos++; // opening DQUOTE
    let out = '';
    for (;;) {
      if (eof()) fail('unterminated quoted-string');
      const c = s[pos++];
      if (c === '"') return out;
      if (c === '\\') {
        if (eof() || !isQuotedPairChar(s.charCodeAt(pos))) fail('bad quoted-pair');
        out += s[pos++];
      } else if (isQdtext(c.charCodeAt(0))) {
        out += c;
      } else {
        pos--;
        fail(`invalid character U+${c.charCodeAt(0).toString(16).padStart(4, '0')} in quoted-string`);
      }
    }
  };
  // auth-param = token BWS "=" BWS ( token / quoted-string ). Returns false
  // (position restored) when the input here is not an auth-param.
  const tryParam = (params) => {
    const start = pos;
    const name = token();
    if (!name) return false;
    ows();
    if (s[pos] !== '=') return (pos = start), false;
    pos++;
    ows();
    let val;
    if (s[pos] === '"') val = quotedString();
    else if (!(val = token())) return (pos = start), false; // e.g. "abc=" is token68
    const key = name.toLowerCase();
    if (Object.hasOwn(params, key)) fail(`duplicate parameter "${key}"`);
    // defineProperty: immune to names like __proto__, keeps a plain-object prototype.
    Object.defineProperty(params, key, { value: val, enumerable: true, writable: true, configurable: true });
    return true;
  };
  // Is the text after the current comma the start of a new challenge (vs. another param)?
  const atNewChallenge = () => {
    const start = pos;
    const t = token();
    ows();
    const isParam = t !== '' && s[pos] === '=';
    pos = start;
    return !isParam;
  };

  const challenge = () => {
    const scheme = token();
    if (!scheme) fail('expected auth-scheme');
    const params = {};
    const result = { scheme, params };
    if (/^[ \t]*(,|$)/.test(s.slice(pos))) return result; // scheme with no params
    if (s[pos] !== ' ') fail('auth-scheme must be followed by a space');
    while (s[pos] === ' ') pos++;

    if (!tryParam(params)) {
      // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
      const start = pos;
      while (!eof() && TOKEN68_CHAR.test(s[pos])) pos++;
      if (pos === start) fail('expected auth-param or token68');
      while (s[pos] === '=') pos++;
      result.token68 = s.slice(start, pos);
      const here = pos;
      ows();
      if (!eof() && s[pos] !== ',') fail('unexpected text after token68');
      pos = here;
      return result;
    }
    for (;;) {
      const here = pos;
      ows();
      if (eof()) return result;
      if (s[pos] !== ',') fail('expected "," between auth-params');
      pos++;
      ows();
      if (eof()) fail('trailing comma');
      if (s[pos] === ',') fail('empty list element');
      if (atNewChallenge()) {
        pos = here; // let the caller consume the comma
        return result;
      }
      if (!tryParam(params)) fail('malformed auth-param');
    }
  };

  const challenges = [];
  ows();
  if (eof()) fail('empty value');
  for (;;) {
    challenges.push(challenge());
    ows();
    if (eof()) return challenges;
    if (s[pos] !== ',') fail('expected "," between challenges');
    pos++;
    ows();
    if (eof()) fail('trailing comma');
    if (s[pos] === ',') fail('empty list element');
  }
}

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
function isQdtext(c) {
  return c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
function isQuotedPairChar(c) {
  return c === 0x09 || c === 0x20 || (c >= 0x21 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}
