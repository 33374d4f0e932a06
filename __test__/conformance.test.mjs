// Security conformance over real HTTP (issue 5, part 1; spec C1-C21).
//
// One table of hostile requests, each row sent over a raw socket to the same
// protected routes under every adapter (Express 5, Express 4, the
// web-standard functions in a plain fetch handler, Hono, Fastify; see
// helpers/adapters.mjs) and checked for:
//   - the status;
//   - WWW-Authenticate, parsed with the strict RFC 9110 parser and compared
//     parameter by parameter (the whole parameter set, nothing more);
//   - the JSON body;
//   - invariants that hold for every row: no CR/LF in any header, one
//     challenge at most, error_description within the RFC 6750 charset,
//     resource_metadata always the configured URL, 401/403 expose
//     WWW-Authenticate to CORS, nothing of the token or its claims echoed,
//     never a 5xx, and the "attacker" server never contacted.
//
// A row's token is built when the row runs, so time-based rows are exact.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { MCPAuth, fetchServerConfig, MCPAuthTokenVerificationError } from 'mcp-auth-rs';
import { generateKey, signJwt, signRaw, signBytes, claims, unsecuredJwt, hs256, b64url, nowSeconds } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { rawRequest, headerValues, parseWwwAuthenticate } from './helpers/http.mjs';
import { ADAPTERS, PYTHON_ADAPTERS } from './helpers/adapters.mjs';

// ---------------------------------------------------------------- constants

// Not the address the app listens on: resource_metadata must come from
// configuration, never from Host or X-Forwarded-* (C8).
const RESOURCE = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const SCOPES = ['mcp:read', 'mcp:write'];
const SCOPE_PARAM = SCOPES.join(' ');
// Planted in claims; must never come back in a rejection.
const SUB_MARKER = 'sub-marker-7f3a9c';

const TOKEN_DESCRIPTIONS = {
  malformed: 'The access token is malformed.',
  token_too_large: 'The access token is too large.',
  unsupported_header: 'The access token header is not supported.',
  alg_not_allowed: 'The access token signing algorithm is not allowed.',
  unknown_kid: 'The access token was signed with an unknown key.',
  ambiguous_key: 'The access token signing key is ambiguous.',
  bad_signature: 'The access token signature is invalid.',
  expired: 'The access token has expired.',
  not_yet_valid: 'The access token is not valid yet.',
  issued_in_future: 'The access token was issued in the future.',
  token_too_old: 'The access token is too old.',
  issuer_untrusted: 'The access token issuer is not trusted.',
  audience_mismatch: 'The access token is not intended for this resource.',
  missing_claim: 'The access token lacks a required claim.',
  invalid_claim: 'The access token has an invalid claim.',
  type_not_allowed: 'The access token type is not allowed.',
  sender_constrained: 'The access token is sender-constrained: it cannot be used as a Bearer token.',
  certificate_mismatch: 'The access token is bound to a client certificate this request did not present.',
};
const REQUEST_DESCRIPTIONS = {
  malformed: 'The Authorization header must hold one Bearer token.',
  duplicate: 'Only one Authorization header is allowed.',
  query: 'Access tokens are not accepted in the query string.',
};
const BARE_BODIES = {
  missing: { error: 'missing_auth_header', error_description: 'Missing `Authorization` header. Please provide a valid bearer token.' },
  scheme: { error: 'invalid_auth_header_format', error_description: 'Invalid `Authorization` header format. Expected "Bearer <token>".' },
  token: { error: 'missing_bearer_token', error_description: 'Missing bearer token in `Authorization` header. Please provide a valid token.' },
};
const INSUFFICIENT_DESCRIPTION = 'The token does not contain the necessary scopes for this request.';

// Routes of the app under test, and whether their challenges carry `scope`.
const ROUTES = {
  '/mcp': { scoped: false },
  '/scoped': { scoped: true },
  '/es-only': { scoped: false }, // jwtVerify.algorithms: ['ES256']
  '/no-leeway': { scoped: false }, // jwtVerify.clockTolerance: 0
  '/strict': { scoped: false }, // RFC 9068 strict: typ at+jwt + required claims
  '/max-age': { scoped: false }, // jwtVerify.maxTokenAge: 60
  '/custom': { scoped: false }, // custom verifier throwing hostile messages
  '/cors': { scoped: false },
};

// ---------------------------------------------------------------- expectations

const routeOf = (path) => ROUTES[path.split('?')[0]] ?? assert.fail(`unknown route ${path}`);
const withScope = (path, params) => (routeOf(path).scoped ? { ...params, scope: SCOPE_PARAM } : params);

/** 401 bare challenge (no error param); `kind` picks mcp-auth's body code. */
const bare = (kind = 'missing') => ({
  status: 401,
  params: (path) => withScope(path, { resource_metadata: PRM }),
  body: BARE_BODIES[kind],
});
/** 401 invalid_token whose description names the addon reason `code`. */
const invalid = (code) => {
  const description = TOKEN_DESCRIPTIONS[code] ?? assert.fail(`no description for ${code}`);
  return {
    status: 401,
    code,
    params: (path) => withScope(path, { error: 'invalid_token', error_description: description, resource_metadata: PRM }),
    body: { error: 'invalid_token', error_description: description },
  };
};
/** 400 invalid_request (with the challenge, C5). */
const badRequest = (kind) => {
  const description = REQUEST_DESCRIPTIONS[kind];
  return {
    status: 400,
    params: (path) => withScope(path, { error: 'invalid_request', error_description: description, resource_metadata: PRM }),
    body: { error: 'invalid_request', error_description: description },
  };
};
/** 403 insufficient_scope naming every required scope (C4, M15). */
const insufficient = (missing) => ({
  status: 403,
  params: () => ({ error: 'insufficient_scope', error_description: INSUFFICIENT_DESCRIPTION, resource_metadata: PRM, scope: SCOPE_PARAM }),
  body: { error: 'insufficient_scope', error_description: INSUFFICIENT_DESCRIPTION, missing_scopes: missing },
});
/** 2xx from the handler behind bearerAuth; `check(echo)` looks at what req.auth held. */
const accepted = (check) => ({ status: 200, accepted: true, check });
/** A response Node itself gives before any middleware runs (e.g. 431). */
const nodeRejects = (status) => ({ status, node: true });

// ---------------------------------------------------------------- keys

// RSA generation is the slow part: two 2048-bit keys, everything else reuses them or is EC/OKP.
const rsa = generateKey('RS256', { kid: 'rsa-main' });
// Same RSA material, published under another kid bound to PS256 only.
const rsaPs = generateKey('PS256', { kid: 'rsa-ps-only', seed: 'rsa-main' });
const ec = generateKey('ES256', { kid: 'ec-main' });
const ec384 = generateKey('ES384', { kid: 'ec-384' });
const ed = generateKey('EdDSA', { kid: 'ed-main' });
const weak = generateKey('RS256', { kid: 'weak-1024', bits: 1024 });
const encKey = generateKey('ES256', { kid: 'enc-key', use: 'enc' });
const opsKey = generateKey('ES256', { kid: 'ops-key' });
const dupA = generateKey('ES256', { kid: 'dup' });
const dupB = generateKey('ES256', { kid: 'dup' });
const p521 = generateKey('ES512', { kid: 'p521' });
const leaky = generateKey('ES256', { kid: 'leaky' });
// Not published: an attacker's keys, one reusing a real kid.
const attackerRsa = generateKey('RS256', { kid: 'rsa-main', seed: 'attacker' });
const attackerEc = generateKey('ES256', { kid: 'ec-main' });
const attackerOwn = generateKey('ES256', { kid: 'evil-kid' });

const publishedJwks = () => ({
  keys: [
    rsa.publicJwk,
    rsaPs.publicJwk,
    ec.publicJwk,
    ec384.publicJwk,
    ed.publicJwk,
    weak.publicJwk, // RSA < 2048: skipped (C14, C25)
    encKey.publicJwk, // use: enc: skipped
    { ...opsKey.publicJwk, key_ops: ['encrypt'] }, // no verify: skipped
    dupA.publicJwk, // two usable keys with kid "dup": ambiguous
    dupB.publicJwk,
    p521.publicJwk, // unsupported curve: skipped
    { ...leaky.publicJwk, d: leaky.privateKey.export({ format: 'jwk' }).d }, // private member: skipped
    { kty: 'oct', kid: 'oct-key', k: b64url('shared-secret'), alg: 'HS256' }, // symmetric: skipped
  ],
});

// ---------------------------------------------------------------- token builders

let as; // the real authorization server
let attacker; // an "attacker" server that must never be contacted

const baseClaims = (extra = {}) => claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', sub: SUB_MARKER, ...extra });
const tok = (extra = {}, key = rsa, header = {}) => signJwt(baseClaims(extra), key, header);
const rawTok = (headerJson, payloadJson, key = rsa, options) => signRaw(headerJson, payloadJson, key, options);
const headerFor = (key, extra = {}) => JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...extra });
const payloadJson = (extra = {}) => JSON.stringify(baseClaims(extra));

/** Signs `h.p` exactly as given (already-encoded segments, canonical or not). */
function signSegments(h, p, key = rsa, options) {
  return `${h}.${p}.${b64url(signBytes(key, `${h}.${p}`, options))}`;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same bytes spelled with non-zero trailing bits (lenient decoders accept it). */
function nonCanonical(segment) {
  assert.ok(segment.length % 4 === 2 || segment.length % 4 === 3, 'segment has no spare bits');
  const last = B64URL.indexOf(segment.at(-1));
  const spelled = segment.slice(0, -1) + B64URL[last | 1];
  assert.notEqual(spelled, segment);
  assert.deepEqual(Buffer.from(spelled, 'base64url'), Buffer.from(segment, 'base64url'), 'same bytes');
  return spelled;
}
/** JSON text padded with spaces so its base64url form has spare bits. */
function withSpareBits(json) {
  while (Buffer.byteLength(json) % 3 === 0) json += ' ';
  return json;
}
const pad = (segment) => segment + '='.repeat((4 - (segment.length % 4)) % 4);

/** An ES256 token with an arbitrary 64-byte (or other) signature. */
function ecWithSignature(signature, key = ec) {
  const h = b64url(headerFor(key));
  const p = b64url(payloadJson());
  return `${h}.${p}.${b64url(signature)}`;
}
// P-256 group order n.
const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
function validEcSignature() {
  const h = b64url(headerFor(ec));
  const p = b64url(payloadJson());
  return { h, p, sig: signBytes(ec, `${h}.${p}`) };
}

function nested(depth) {
  return '['.repeat(depth) + ']'.repeat(depth);
}

// ---------------------------------------------------------------- the table

const bearer = (value) => [['Authorization', `Bearer ${value}`]];
const kidRow = (name, kid, expect) => ({ family: 'keys', name: `kid injection: ${name}`, token: () => tok({}, rsa, { kid }), expect });

const ROWS = [
  // ---- header grammar (C1, C2, C5, C11)
  { family: 'header', name: 'no Authorization header', expect: bare('missing') },
  { family: 'header', name: 'no Authorization header, scoped route: bare challenge names the scopes', path: '/scoped', expect: bare('missing') },
  { family: 'header', name: 'Basic scheme', headers: () => [['Authorization', 'Basic dXNlcjpwYXNz']], expect: bare('scheme') },
  { family: 'header', name: 'DPoP scheme with a real token', headers: () => [['Authorization', `DPoP ${tok()}`]], expect: bare('scheme') },
  { family: 'header', name: 'Digest scheme', headers: () => [['Authorization', 'Digest username="a", realm="b"']], expect: bare('scheme') },
  { family: 'header', name: 'scheme "Bearerx"', headers: () => [['Authorization', `Bearerx ${tok()}`]], expect: bare('scheme') },
  { family: 'header', name: 'scheme "Token"', headers: () => [['Authorization', `Token ${tok()}`]], expect: bare('scheme') },
  { family: 'header', name: 'scheme "bearer" (lower case) is accepted', headers: () => [['Authorization', `bearer ${tok()}`]], expect: accepted() },
  { family: 'header', name: 'scheme "BEARER" is accepted', headers: () => [['Authorization', `BEARER ${tok()}`]], expect: accepted() },
  { family: 'header', name: 'several spaces after the scheme (1*SP) are accepted', headers: () => [['Authorization', `Bearer    ${tok()}`]], expect: accepted() },
  { family: 'header', name: 'surrounding OWS is not part of the field value', headers: () => [['Authorization', `  Bearer ${tok()}  `]], expect: accepted() },
  { family: 'header', name: 'empty token ("Bearer"): no credentials, bare 401', headers: () => [['Authorization', 'Bearer']], expect: bare('token') },
  { family: 'header', name: 'empty token ("Bearer " + spaces): no credentials, bare 401', headers: () => [['Authorization', 'Bearer    ']], expect: bare('token') },
  { family: 'header', name: 'empty token on a scoped route: the bare challenge names the scopes', path: '/scoped', headers: () => [['Authorization', 'bearer ']], expect: bare('token') },
  { family: 'header', name: 'empty Authorization value', headers: () => [['Authorization', '']], expect: bare('missing') },
  { family: 'header', name: 'two parts after the scheme', headers: () => [['Authorization', `Bearer ${tok()} ${tok()}`]], expect: badRequest('malformed') },
  { family: 'header', name: 'trailing garbage after the token', headers: () => [['Authorization', `Bearer ${tok()} x`]], expect: badRequest('malformed') },
  { family: 'header', name: 'tab instead of space', headers: () => [['Authorization', `Bearer\t${tok()}`]], expect: badRequest('malformed') },
  { family: 'header', name: 'no separator ("Bearer" glued to the token) is another scheme', headers: () => [['Authorization', `Bearer${tok()}`]], expect: bare('scheme') },
  { family: 'header', name: 'comma in the token', headers: () => [['Authorization', `Bearer ${tok()},x`]], expect: badRequest('malformed') },
  { family: 'header', name: 'quoted token', headers: () => [['Authorization', `Bearer "${tok()}"`]], expect: badRequest('malformed') },
  { family: 'header', name: 'semicolon in the token', headers: () => [['Authorization', 'Bearer abc;def']], expect: badRequest('malformed') },
  { family: 'header', name: 'non-ASCII in the token', headers: () => [['Authorization', 'Bearer abc\u00e9def']], expect: badRequest('malformed') },
  { family: 'header', name: 'padding in the middle of the token: b64token characters, so a bad token (401)', headers: () => [['Authorization', 'Bearer ab==cd']], expect: invalid('malformed') },
  { family: 'header', name: 'b64token characters only, one segment with + / = (401)', headers: () => bearer('a+b/c=='), expect: invalid('malformed') },
  { family: 'header', name: 'b64token characters only, = inside a segment of three (401)', headers: () => bearer('abc.d=ef.ghi'), expect: invalid('malformed') },
  { family: 'header', name: 'b64token characters only, ~ segments (401)', headers: () => bearer('~~~.~~~.~~~'), expect: invalid('malformed') },
  { family: 'header', name: 'b64token characters only, padding alone (401)', headers: () => bearer('=='), expect: invalid('malformed') },
  { family: 'header', name: 'auth-param syntax after the scheme', headers: () => [['Authorization', 'Bearer token="abc"']], expect: badRequest('malformed') },
  { family: 'header', name: 'duplicate Authorization headers, both valid (raw socket)', headers: () => [...bearer(tok()), ...bearer(tok())], expect: badRequest('duplicate') },
  { family: 'header', name: 'duplicate Authorization headers, differing name case', headers: () => [['authorization', `Bearer ${tok()}`], ['AUTHORIZATION', `Bearer ${tok()}`]], expect: badRequest('duplicate') },
  { family: 'header', name: 'duplicate Authorization headers, one empty', headers: () => [['Authorization', ''], ...bearer(tok())], expect: badRequest('duplicate') },
  { family: 'header', name: 'duplicate Authorization headers, Basic then Bearer', headers: () => [['Authorization', 'Basic dXNlcjpwYXNz'], ...bearer(tok())], expect: badRequest('duplicate') },
  { family: 'header', name: 'token in the query string, no header', path: () => `/mcp?access_token=${tok()}`, expect: badRequest('query') },
  { family: 'header', name: 'token in the query string and a valid header', path: () => `/mcp?access_token=${tok()}`, headers: () => bearer(tok()), expect: badRequest('query') },
  { family: 'header', name: 'percent-encoded access_token query name', path: () => '/mcp?a=1&access%5Ftoken=abc', expect: badRequest('query') },
  { family: 'header', name: 'query token on a scoped route: challenge keeps the scope', path: () => '/scoped?access_token=abc', expect: badRequest('query') },
  {
    family: 'header', name: 'token in a form body (body never read): bare 401', method: 'POST',
    headers: () => [['Content-Type', 'application/x-www-form-urlencoded']], body: () => `access_token=${tok()}`, expect: bare('missing'),
  },
  {
    family: 'header', name: 'token in a JSON body (body never read): bare 401', method: 'POST',
    headers: () => [['Content-Type', 'application/json']], body: () => JSON.stringify({ access_token: tok() }), expect: bare('missing'),
  },
  { family: 'header', name: 'token of 8193 characters: too large before parsing', headers: () => bearer('a'.repeat(8193)), expect: invalid('token_too_large') },
  { family: 'header', name: 'token of 8192 characters: parsed (malformed)', headers: () => bearer('a'.repeat(8192)), expect: invalid('malformed') },
  { family: 'header', name: 'validly signed token over 8 KiB: too large', headers: () => bearer(tok({ pad: 'x'.repeat(8200) })), expect: invalid('token_too_large') },
  { family: 'header', name: '20 KiB header: Node answers 431, nothing crashes', headers: () => bearer('a'.repeat(20 * 1024)), expect: nodeRejects(431) },

  // ---- JWS structure (C13, C15)
  { family: 'structure', name: 'one segment', token: () => 'abcdef', expect: invalid('malformed') },
  { family: 'structure', name: 'two segments (signature dropped)', token: () => tok().split('.').slice(0, 2).join('.'), expect: invalid('malformed') },
  { family: 'structure', name: 'empty signature segment', token: () => tok().split('.').slice(0, 2).join('.') + '.', expect: invalid('malformed') },
  { family: 'structure', name: 'four segments', token: () => `${tok()}.abc`, expect: invalid('malformed') },
  { family: 'structure', name: 'six segments', token: () => `${tok()}.abc.def.ghi`, expect: invalid('malformed') },
  { family: 'structure', name: 'only dots', token: () => '...', expect: invalid('malformed') },
  { family: 'structure', name: 'empty header segment', token: () => `.${tok().split('.').slice(1).join('.')}`, expect: invalid('malformed') },
  {
    family: 'structure', name: 'JWE (5 segments, RSA-OAEP/A256GCM)',
    token: () => [b64url('{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rsa-main"}'), b64url(crypto.randomBytes(256)), b64url(crypto.randomBytes(12)), b64url(crypto.randomBytes(64)), b64url(crypto.randomBytes(16))].join('.'),
    expect: invalid('unsupported_header'),
  },
  {
    family: 'structure', name: 'JWE with "dir" (empty key segment)',
    token: () => [b64url('{"alg":"dir","enc":"A128GCM"}'), '', b64url(crypto.randomBytes(12)), b64url(crypto.randomBytes(40)), b64url(crypto.randomBytes(16))].join('.'),
    expect: invalid('unsupported_header'),
  },
  { family: 'structure', name: 'JWS header carrying "enc"', token: () => tok({}, rsa, { enc: 'A256GCM' }), expect: invalid('unsupported_header') },
  {
    family: 'structure', name: 'non-canonical base64url signature (same bytes, validly signed)',
    token: () => {
      const [h, p, s] = tok().split('.');
      return `${h}.${p}.${nonCanonical(s)}`;
    },
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'non-canonical base64url header, signature over that spelling',
    token: () => signSegments(nonCanonical(b64url(withSpareBits(headerFor(rsa)))), b64url(payloadJson())),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'non-canonical base64url payload, signature over that spelling',
    token: () => signSegments(b64url(headerFor(rsa)), nonCanonical(b64url(withSpareBits(payloadJson())))),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'padded signature segment',
    token: () => {
      const [h, p, s] = tok().split('.');
      return `${h}.${p}.${pad(s)}`;
    },
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'padded header segment: b64token characters, not base64url (401)',
    headers: () => bearer(signSegments(pad(b64url(withSpareBits(headerFor(rsa)))), b64url(payloadJson()))),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'standard base64 alphabet (+ and /) in the signature',
    token: () => {
      for (;;) {
        const [h, p, s] = tok().split('.');
        if (/[-_]/.test(s)) return `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`;
      }
    },
    expect: invalid('malformed'),
  },
  { family: 'structure', name: 'header is not JSON', token: () => rawTok('not json', payloadJson()), expect: invalid('malformed') },
  { family: 'structure', name: 'header is a JSON array', token: () => rawTok('["RS256"]', payloadJson()), expect: invalid('malformed') },
  { family: 'structure', name: 'header is a JSON string', token: () => rawTok('"RS256"', payloadJson()), expect: invalid('malformed') },
  { family: 'structure', name: 'header is JSON null', token: () => rawTok('null', payloadJson()), expect: invalid('malformed') },
  { family: 'structure', name: 'header with trailing data after the object', token: () => rawTok(`${headerFor(rsa)} {}`, payloadJson()), expect: invalid('malformed') },
  { family: 'structure', name: 'payload is not JSON', token: () => rawTok(headerFor(rsa), 'hello'), expect: invalid('malformed') },
  { family: 'structure', name: 'payload is a JSON array', token: () => rawTok(headerFor(rsa), JSON.stringify([baseClaims()])), expect: invalid('malformed') },
  { family: 'structure', name: 'payload is a number', token: () => rawTok(headerFor(rsa), '12345'), expect: invalid('malformed') },
  {
    family: 'structure', name: 'invalid UTF-8 in the payload (0xFF)',
    token: () => rawTok(headerFor(rsa), Buffer.concat([Buffer.from(payloadJson().slice(0, -1) + ',"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'overlong UTF-8 encoding in the header',
    token: () => rawTok(Buffer.concat([Buffer.from(headerFor(rsa).slice(0, -1) + ',"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), payloadJson()),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'lone UTF-16 surrogate escape in the payload',
    token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + ',"x":"\\ud800"}'),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'duplicate "alg" in the header',
    token: () => rawTok(`{"alg":"RS256","typ":"at+jwt","kid":"rsa-main","alg":"none"}`, payloadJson()),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'duplicate "kid" in the header (same value)',
    token: () => rawTok(`{"alg":"RS256","kid":"rsa-main","kid":"rsa-main"}`, payloadJson()),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'duplicate "alg" spelled with an escape ("al\\u0067")',
    token: () => rawTok(`{"alg":"RS256","kid":"rsa-main","al\\u0067":"RS256"}`, payloadJson()),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'duplicate "aud" in the payload (ours first)',
    token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + ',"aud":"https://other.example/mcp"}'),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'duplicate "exp" in the payload',
    token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + `,"exp":${nowSeconds() + 999999}}`),
    expect: invalid('malformed'),
  },
  {
    family: 'structure', name: 'duplicate member in a nested payload object',
    token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + ',"ext":{"role":"user","role":"admin"}}'),
    expect: invalid('malformed'),
  },
  { family: 'structure', name: 'nesting 15 levels deep is fine', token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + `,"ext":${nested(14)}}`), expect: accepted() },
  { family: 'structure', name: 'nesting 40 levels deep', token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + `,"ext":${nested(40)}}`), expect: invalid('malformed') },
  { family: 'structure', name: 'nesting 2000 levels deep', token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + `,"ext":${nested(2000)}}`), expect: invalid('malformed') },
  { family: 'structure', name: 'nesting 40 levels deep in the header', token: () => rawTok(headerFor(rsa).slice(0, -1) + `,"x":${nested(40)}}`, payloadJson()), expect: invalid('malformed') },
  { family: 'structure', name: 'exp = 1e400 (overflows f64)', token: () => rawTok(headerFor(rsa), payloadJson().replace(/"exp":\d+/, '"exp":1e400')), expect: invalid('malformed') },
  { family: 'structure', name: 'exp = 400-digit integer', token: () => rawTok(headerFor(rsa), payloadJson().replace(/"exp":\d+/, `"exp":1${'0'.repeat(400)}`)), expect: invalid('malformed') },
  { family: 'structure', name: 'iat = -1e400', token: () => rawTok(headerFor(rsa), payloadJson().replace(/"iat":\d+/, '"iat":-1e400')), expect: invalid('malformed') },
  { family: 'structure', name: 'huge exponent in an unrelated claim', token: () => rawTok(headerFor(rsa), payloadJson().slice(0, -1) + ',"n":1e99999}'), expect: invalid('malformed') },

  // ---- algorithms and keys (C14, C16, C17, C25)
  { family: 'keys', name: 'valid RS256 (control)', token: () => tok(), expect: accepted((echo) => assert.equal(echo.sub, SUB_MARKER)) },
  { family: 'keys', name: 'valid PS256 with a key bound to PS256 (control)', token: () => tok({}, rsaPs), expect: accepted() },
  { family: 'keys', name: 'valid ES256 (control)', token: () => tok({}, ec), expect: accepted() },
  { family: 'keys', name: 'valid ES384 (control)', token: () => tok({}, ec384), expect: accepted() },
  { family: 'keys', name: 'valid EdDSA (control)', token: () => tok({}, ed), expect: accepted() },
  ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
    family: 'keys', name: `alg "${alg}" with an empty signature`,
    token: () => unsecuredJwt(baseClaims(), { alg, typ: 'at+jwt', kid: 'rsa-main' }), expect: invalid('alg_not_allowed'),
  })),
  {
    family: 'keys', name: 'alg "none" carrying a real RS256 signature',
    token: () => {
      const [, p, s] = tok().split('.');
      return `${b64url('{"alg":"none","kid":"rsa-main"}')}.${p}.${s}`;
    },
    expect: invalid('alg_not_allowed'),
  },
  { family: 'keys', name: 'missing alg', token: () => rawTok('{"kid":"rsa-main","typ":"at+jwt"}', payloadJson()), expect: invalid('malformed') },
  { family: 'keys', name: 'alg is null', token: () => rawTok('{"alg":null,"kid":"rsa-main"}', payloadJson()), expect: invalid('malformed') },
  { family: 'keys', name: 'alg is an array', token: () => rawTok('{"alg":["RS256"],"kid":"rsa-main"}', payloadJson()), expect: invalid('malformed') },
  { family: 'keys', name: 'alg "rs256" (wrong case)', token: () => tok({}, rsa, { alg: 'rs256' }), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'HS256 signed with the RSA public key (PEM)', token: () => hs256({ alg: 'HS256', typ: 'at+jwt', kid: 'rsa-main' }, baseClaims(), rsa.publicPem), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'HS256 signed with the RSA modulus', token: () => hs256({ alg: 'HS256', kid: 'rsa-main' }, baseClaims(), rsa.publicJwk.n), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'HS256 naming the published oct key', token: () => hs256({ alg: 'HS256', kid: 'oct-key' }, baseClaims(), 'shared-secret'), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'HS512 without kid', token: () => rawTok('{"alg":"HS512"}', payloadJson()), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'ES512 (not in the allow-list; P-521 key published)', token: () => tok({}, p521), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'RS256 on a route allowing only ES256', path: '/es-only', token: () => tok(), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'ES256 on a route allowing only ES256 (control)', path: '/es-only', token: () => tok({}, ec), expect: accepted() },
  { family: 'keys', name: 'ES256 with a DER signature', token: () => rawTok(headerFor(ec), payloadJson(), ec, { dsaEncoding: 'der' }), expect: invalid('bad_signature') },
  { family: 'keys', name: 'ES256 with r = s = 0', token: () => ecWithSignature(Buffer.alloc(64)), expect: invalid('bad_signature') },
  {
    family: 'keys', name: 'ES256 with r = 0 and a real s',
    token: () => {
      const { h, p, sig } = validEcSignature();
      return `${h}.${p}.${b64url(Buffer.concat([Buffer.alloc(32), sig.subarray(32)]))}`;
    },
    expect: invalid('bad_signature'),
  },
  {
    family: 'keys', name: 'ES256 with s = 0 and a real r',
    token: () => {
      const { h, p, sig } = validEcSignature();
      return `${h}.${p}.${b64url(Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32)]))}`;
    },
    expect: invalid('bad_signature'),
  },
  { family: 'keys', name: 'ES256 with r = s = n (the group order)', token: () => ecWithSignature(Buffer.concat([P256_N, P256_N])), expect: invalid('bad_signature') },
  {
    family: 'keys', name: 'ES256 signature one byte short',
    token: () => {
      const { h, p, sig } = validEcSignature();
      return `${h}.${p}.${b64url(sig.subarray(0, 63))}`;
    },
    expect: invalid('bad_signature'),
  },
  { family: 'keys', name: 'RS256 with a 1024-bit key (not loaded)', token: () => tok({}, weak), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'attacker RSA key under the real kid', token: () => tok({}, attackerRsa), expect: invalid('bad_signature') },
  { family: 'keys', name: 'attacker EC key under the real kid', token: () => tok({}, attackerEc), expect: invalid('bad_signature') },
  { family: 'keys', name: 'flipped bit in a real signature', token: () => { const [h, p, s] = tok().split('.'); const b = Buffer.from(s, 'base64url'); b[10] ^= 1; return `${h}.${p}.${b64url(b)}`; }, expect: invalid('bad_signature') },
  { family: 'keys', name: 'payload swapped under a real signature', token: () => { const [h, , s] = tok().split('.'); return `${h}.${b64url(payloadJson({ sub: 'admin' }))}.${s}`; }, expect: invalid('bad_signature') },
  { family: 'keys', name: 'header jwk with the attacker key, real kid', token: () => tok({}, attackerRsa, { jwk: attackerRsa.publicJwk }), expect: invalid('bad_signature') },
  { family: 'keys', name: 'header jwk with the attacker key, no kid', token: () => tok({}, attackerRsa, { kid: undefined, jwk: { ...attackerRsa.publicJwk, kid: undefined } }), expect: invalid('bad_signature') },
  { family: 'keys', name: 'header jwk with the attacker key and its own kid', token: () => tok({}, attackerOwn, { jwk: attackerOwn.publicJwk }), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'header jku at the attacker server (its kid)', token: () => tok({}, attackerOwn, { jku: attacker.jwksUri }), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'header jku at the attacker server (real kid)', token: () => tok({}, attackerEc, { jku: attacker.jwksUri }), expect: invalid('bad_signature') },
  { family: 'keys', name: 'header x5u at the attacker server', token: () => tok({}, attackerOwn, { x5u: `${attacker.url}/cert.pem` }), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'header x5c with an attacker "certificate", no kid', token: () => tok({}, attackerRsa, { kid: undefined, x5c: [b64url(crypto.randomBytes(300)).replace(/[-_]/g, 'A')] }), expect: invalid('bad_signature') },
  { family: 'keys', name: 'header x5c + jku + jwk together, real kid', token: () => tok({}, attackerEc, { x5c: ['MIIB'], jku: attacker.jwksUri, jwk: attackerEc.publicJwk }), expect: invalid('bad_signature') },
  { family: 'keys', name: 'header jku only, valid signature by the real key (jku ignored)', token: () => tok({}, rsa, { jku: attacker.jwksUri }), expect: accepted() },
  kidRow('path traversal', '../../../../etc/passwd', invalid('unknown_kid')),
  kidRow('SQL', "' OR '1'='1' --", invalid('unknown_kid')),
  kidRow('URL of the attacker server', 'http://127.0.0.1:1/jwks', invalid('unknown_kid')),
  kidRow('JNDI', '${jndi:ldap://127.0.0.1:1/a}', invalid('unknown_kid')),
  kidRow('CR/LF and quotes', 'a"\r\nX-Injected: 1', invalid('unknown_kid')),
  kidRow('NUL byte', 'rsa-main\u0000', invalid('unknown_kid')),
  kidRow('256 bytes (the limit)', 'k'.repeat(256), invalid('unknown_kid')),
  kidRow('257 bytes', 'k'.repeat(257), invalid('malformed')),
  kidRow('empty string', '', invalid('malformed')),
  kidRow('a number', 7, invalid('malformed')),
  kidRow('an object', { $ne: null }, invalid('malformed')),
  kidRow('real kid with different case', 'RSA-MAIN', invalid('unknown_kid')),
  { family: 'keys', name: 'RS256 token naming a key bound to PS256', token: () => tok({}, { ...rsa, kid: 'rsa-ps-only' }), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'ES256 token naming the RSA key (kty mismatch)', token: () => tok({}, { ...ec, kid: 'rsa-main' }), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'EdDSA token naming the EC key (kty mismatch)', token: () => tok({}, { ...ed, kid: 'ec-main' }), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'ES384 token naming the P-256 key (curve mismatch)', token: () => tok({}, { ...ec384, kid: 'ec-main' }), expect: invalid('alg_not_allowed') },
  { family: 'keys', name: 'key published with use "enc"', token: () => tok({}, encKey), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'key published with key_ops ["encrypt"]', token: () => tok({}, opsKey), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'key published with its private part', token: () => tok({}, leaky), expect: invalid('unknown_kid') },
  { family: 'keys', name: 'duplicate kid, signed by the first key', token: () => tok({}, dupA), expect: invalid('ambiguous_key') },
  { family: 'keys', name: 'duplicate kid, signed by the second key', token: () => tok({}, dupB), expect: invalid('ambiguous_key') },
  { family: 'keys', name: 'no kid, several ES256 keys could match', token: () => tok({}, ec, { kid: undefined }), expect: invalid('ambiguous_key') },
  { family: 'keys', name: 'no kid, exactly one EdDSA key (accepted)', token: () => tok({}, ed, { kid: undefined }), expect: accepted() },
  {
    family: 'keys', name: 'token from the attacker issuer, validly signed by its key: never fetched',
    token: () => signJwt(claims({ issuer: attacker.issuer, audience: RESOURCE }), attackerOwn), expect: invalid('issuer_untrusted'),
  },

  // ---- claims (C17, C18, C19, C21)
  { family: 'claims', name: 'expired 2 minutes ago', token: () => tok({ exp: nowSeconds() - 120 }), expect: invalid('expired') },
  { family: 'claims', name: 'expired 20 s ago: inside the 30 s leeway', token: () => tok({ exp: nowSeconds() - 20 }), expect: accepted() },
  { family: 'claims', name: 'expired 40 s ago: past the 30 s leeway', token: () => tok({ exp: nowSeconds() - 40 }), expect: invalid('expired') },
  { family: 'claims', name: 'exp == now with zero leeway: expired (now must be before exp)', path: '/no-leeway', token: () => tok({ exp: nowSeconds() }), expect: invalid('expired') },
  { family: 'claims', name: 'exp == now + 5 with zero leeway (control)', path: '/no-leeway', token: () => tok({ exp: nowSeconds() + 5 }), expect: accepted() },
  { family: 'claims', name: 'nbf == now with zero leeway: valid', path: '/no-leeway', token: () => tok({ nbf: nowSeconds() }), expect: accepted() },
  { family: 'claims', name: 'nbf == now + 5 with zero leeway', path: '/no-leeway', token: () => tok({ nbf: nowSeconds() + 5 }), expect: invalid('not_yet_valid') },
  { family: 'claims', name: 'iat == now + 5 with zero leeway', path: '/no-leeway', token: () => tok({ iat: nowSeconds() + 5 }), expect: invalid('issued_in_future') },
  { family: 'claims', name: 'missing exp', token: () => tok({ exp: undefined }), expect: invalid('missing_claim') },
  { family: 'claims', name: 'exp as a string', token: () => tok({ exp: String(nowSeconds() + 300) }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'exp as an ISO date string', token: () => tok({ exp: new Date(Date.now() + 300e3).toISOString() }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'exp null', token: () => tok({ exp: null }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'exp true', token: () => tok({ exp: true }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'exp negative', token: () => tok({ exp: -1 }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'exp fractional in the future (valid NumericDate)', token: () => tok({ exp: nowSeconds() + 300.5 }), expect: accepted() },
  { family: 'claims', name: 'nbf as a string', token: () => tok({ nbf: String(nowSeconds()) }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'iat as a string', token: () => tok({ iat: String(nowSeconds()) }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'iat negative', token: () => tok({ iat: -5 }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'nbf an hour ahead', token: () => tok({ nbf: nowSeconds() + 3600 }), expect: invalid('not_yet_valid') },
  { family: 'claims', name: 'nbf 20 s ahead: inside the leeway', token: () => tok({ nbf: nowSeconds() + 20 }), expect: accepted() },
  { family: 'claims', name: 'iat an hour ahead', token: () => tok({ iat: nowSeconds() + 3600 }), expect: invalid('issued_in_future') },
  { family: 'claims', name: 'iat 20 s ahead: inside the leeway', token: () => tok({ iat: nowSeconds() + 20 }), expect: accepted() },
  { family: 'claims', name: 'wrong iss', token: () => tok({ iss: 'https://evil.example' }), expect: invalid('issuer_untrusted') },
  { family: 'claims', name: 'missing iss', token: () => tok({ iss: undefined }), expect: invalid('missing_claim') },
  { family: 'claims', name: 'iss with a trailing slash', token: () => tok({ iss: `${as.issuer}/` }), expect: invalid('issuer_untrusted') },
  { family: 'claims', name: 'iss with an upper-case scheme (exact comparison)', token: () => tok({ iss: as.issuer.replace('http:', 'HTTP:') }), expect: invalid('issuer_untrusted') },
  { family: 'claims', name: 'iss as an array', token: () => tok({ iss: [as.issuer] }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'iss with CR/LF and quotes', token: () => tok({ iss: 'https://evil.example"\r\nX-Injected: 1' }), expect: invalid('issuer_untrusted') },
  { family: 'claims', name: 'wrong aud', token: () => tok({ aud: 'https://other.example/mcp' }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'missing aud', token: () => tok({ aud: undefined }), expect: invalid('missing_claim') },
  { family: 'claims', name: 'aud array containing ours', token: () => tok({ aud: ['https://other.example', RESOURCE] }), expect: accepted() },
  { family: 'claims', name: 'aud array without ours', token: () => tok({ aud: ['https://other.example', 'https://mcp.example.com/other'] }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'aud empty array', token: () => tok({ aud: [] }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'aud empty string', token: () => tok({ aud: '' }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'aud a number', token: () => tok({ aud: 42 }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'aud array with a non-string', token: () => tok({ aud: [RESOURCE, 42] }), expect: invalid('invalid_claim') },
  { family: 'claims', name: 'aud with an upper-case host (URL comparison): accepted', token: () => tok({ aud: 'https://MCP.Example.COM/mcp' }), expect: accepted() },
  { family: 'claims', name: 'aud with an upper-case scheme and the default port: accepted', token: () => tok({ aud: 'HTTPS://mcp.example.com:443/mcp' }), expect: accepted() },
  { family: 'claims', name: 'aud with a trailing slash (not configured)', token: () => tok({ aud: `${RESOURCE}/` }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'aud with an upper-case path', token: () => tok({ aud: 'https://mcp.example.com/MCP' }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'aud with http instead of https', token: () => tok({ aud: 'http://mcp.example.com/mcp' }), expect: invalid('audience_mismatch') },
  { family: 'claims', name: 'aud of a look-alike host', token: () => tok({ aud: 'https://mcp.example.com.evil.example/mcp' }), expect: invalid('audience_mismatch') },
  {
    family: 'claims', name: 'OIDC ID token replayed (aud = client_id, typ JWT)',
    token: () => tok({ aud: 'client-1', nonce: 'n-0S6_WzA2Mj', auth_time: nowSeconds() - 5, azp: 'client-1', scope: undefined }, rsa, { typ: 'JWT' }),
    expect: invalid('audience_mismatch'),
  },
  { family: 'claims', name: 'ID token typed id_token+jwt, aud = resource', token: () => tok({ nonce: 'n' }, rsa, { typ: 'id_token+jwt' }), expect: invalid('type_not_allowed') },
  { family: 'claims', name: 'ID token (typ JWT, aud = resource) on the RFC 9068 strict route', path: '/strict', token: () => tok({ nonce: 'n' }, rsa, { typ: 'JWT' }), expect: invalid('type_not_allowed') },
  { family: 'claims', name: 'strict route: at+jwt with every required claim (control)', path: '/strict', token: () => tok(), expect: accepted() },
  { family: 'claims', name: 'strict route: application/at+jwt accepted', path: '/strict', token: () => tok({}, rsa, { typ: 'application/at+jwt' }), expect: accepted() },
  { family: 'claims', name: 'strict route: no typ', path: '/strict', token: () => tok({}, rsa, { typ: undefined }), expect: invalid('type_not_allowed') },
  { family: 'claims', name: 'strict route: missing jti', path: '/strict', token: () => tok({ jti: undefined }), expect: invalid('missing_claim') },
  { family: 'claims', name: 'strict route: missing client_id', path: '/strict', token: () => tok({ client_id: undefined }), expect: invalid('missing_claim') },
  { family: 'claims', name: 'maxTokenAge 60 s: issued 20 s ago (control)', path: '/max-age', token: () => tok({ iat: nowSeconds() - 20 }), expect: accepted() },
  { family: 'claims', name: 'maxTokenAge 60 s: issued 10 minutes ago', path: '/max-age', token: () => tok({ iat: nowSeconds() - 600 }), expect: invalid('token_too_old') },
  { family: 'claims', name: 'maxTokenAge set: missing iat', path: '/max-age', token: () => tok({ iat: undefined }), expect: invalid('missing_claim') },
  ...['dpop+jwt', 'logout+jwt', 'secevent+jwt', 'application/logout+jwt', 'id_token', 'DPOP+JWT', 'jwt+jwt-foo'].map((typ) => ({
    family: 'claims', name: `typ ${typ}`, token: () => tok({}, rsa, { typ }), expect: invalid('type_not_allowed'),
  })),
  ...['at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', undefined].map((typ) => ({
    family: 'claims', name: `typ ${typ ?? 'absent'} accepted`, token: () => tok({}, rsa, { typ }), expect: accepted(),
  })),
  { family: 'claims', name: 'typ not a string', token: () => tok({}, rsa, { typ: 1 }), expect: invalid('malformed') },
  { family: 'claims', name: 'crit ["exp"]', token: () => tok({}, rsa, { crit: ['exp'] }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'crit [] (empty)', token: () => tok({}, rsa, { crit: [] }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'crit not an array', token: () => tok({}, rsa, { crit: 'b64' }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'crit ["b64"] with b64 false', token: () => tok({}, rsa, { crit: ['b64'], b64: false }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'b64 false without crit', token: () => tok({}, rsa, { b64: false }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'zip DEF', token: () => tok({}, rsa, { zip: 'DEF' }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'cty JWT (nested token)', token: () => tok({}, rsa, { cty: 'JWT' }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'cty jwt (lower case)', token: () => tok({}, rsa, { cty: 'jwt' }), expect: invalid('unsupported_header') },
  { family: 'claims', name: 'cnf jkt (DPoP-bound) presented as Bearer', token: () => tok({ cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }), expect: invalid('sender_constrained') },
  // RFC 8705: checked against the client certificate, which a resource without `mtls` never reads.
  { family: 'claims', name: 'cnf x5t#S256 (mTLS-bound) without a client certificate', token: () => tok({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }), expect: invalid('certificate_mismatch') },
  { family: 'claims', name: 'cnf empty object', token: () => tok({ cnf: {} }), expect: invalid('sender_constrained') },

  // ---- scopes (C4, C20, M15)
  { family: 'scopes', name: 'both scopes (control)', path: '/scoped', token: () => tok({ scope: 'mcp:read mcp:write' }), expect: accepted((echo) => assert.deepEqual(echo.scopes, SCOPES)) },
  { family: 'scopes', name: 'no scope claim', path: '/scoped', token: () => tok({ scope: undefined }), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'one of two scopes', path: '/scoped', token: () => tok({ scope: 'mcp:read' }), expect: insufficient(['mcp:write']) },
  { family: 'scopes', name: 'empty scope string', path: '/scoped', token: () => tok({ scope: '' }), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'wrong case', path: '/scoped', token: () => tok({ scope: 'MCP:READ mcp:Write' }), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'prefix of a scope', path: '/scoped', token: () => tok({ scope: 'mcp:rea mcp:write' }), expect: insufficient(['mcp:read']) },
  { family: 'scopes', name: 'array form', path: '/scoped', token: () => signJwt({ ...baseClaims(), scope: SCOPES }, rsa), expect: accepted((echo) => assert.deepEqual(echo.scopes, SCOPES)) },
  { family: 'scopes', name: 'array form missing one', path: '/scoped', token: () => signJwt({ ...baseClaims(), scope: ['mcp:write'] }, rsa), expect: insufficient(['mcp:read']) },
  { family: 'scopes', name: 'extra spaces around and between', path: '/scoped', token: () => tok({ scope: '   mcp:read    mcp:write  ' }), expect: accepted((echo) => assert.deepEqual(echo.scopes, SCOPES)) },
  { family: 'scopes', name: 'tab separated (not a scope delimiter)', path: '/scoped', token: () => tok({ scope: 'mcp:read\tmcp:write' }), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'comma separated', path: '/scoped', token: () => tok({ scope: 'mcp:read,mcp:write' }), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'scope a number', path: '/scoped', token: () => signJwt({ ...baseClaims(), scope: 42 }, rsa), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'scope an object', path: '/scoped', token: () => signJwt({ ...baseClaims(), scope: { 'mcp:read': true, 'mcp:write': true } }, rsa), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'scope array with a non-string', path: '/scoped', token: () => signJwt({ ...baseClaims(), scope: ['mcp:read', 'mcp:write', 7] }, rsa), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'wrong-typed scope does not fall back to scp', path: '/scoped', token: () => signJwt({ ...baseClaims(), scope: 42, scp: SCOPES }, rsa), expect: insufficient(SCOPES) },
  { family: 'scopes', name: 'scp alias (array)', path: '/scoped', token: () => tok({ scope: undefined, scp: SCOPES }), expect: accepted() },
  { family: 'scopes', name: 'expired and missing a scope: 401 first (validity before scopes)', path: '/scoped', token: () => tok({ scope: 'mcp:read', exp: nowSeconds() - 120 }), expect: invalid('expired') },
  { family: 'scopes', name: 'wrong audience and no scopes: 401', path: '/scoped', token: () => tok({ scope: undefined, aud: 'https://other.example' }), expect: invalid('audience_mismatch') },
  { family: 'scopes', name: 'bad signature and no scopes: 401', path: '/scoped', token: () => tok({ scope: undefined }, attackerRsa), expect: invalid('bad_signature') },

  // ---- challenge hygiene (C7, C8, C9)
  { family: 'hygiene', name: 'Host header of another site: resource_metadata unchanged', host: 'evil.example', expect: bare('missing') },
  {
    family: 'hygiene', name: 'X-Forwarded-Host/Proto/Prefix and Forwarded: resource_metadata unchanged',
    headers: () => [['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-Proto', 'http'], ['X-Forwarded-Prefix', '/evil'], ['Forwarded', 'host=evil.example;proto=http']],
    expect: bare('missing'),
  },
  { family: 'hygiene', name: 'forwarded headers on an invalid-token rejection', headers: () => [['X-Forwarded-Host', 'evil.example'], ...bearer(tok({ exp: 1 }))], expect: invalid('expired') },
  { family: 'hygiene', name: 'forwarded headers on a 403', path: '/scoped', host: 'evil.example:8443', headers: () => [['X-Forwarded-Host', 'evil.example'], ...bearer(tok())], expect: insufficient(['mcp:write']) },
  { family: 'hygiene', name: 'absolute-form request target naming another host', target: 'http://evil.example/mcp', expect: bare('missing') },
  {
    family: 'hygiene', name: 'custom verifier error message with quotes, backslash, CR/LF and non-ASCII: sanitised',
    path: '/custom', headers: () => bearer('hostile-message'),
    expect: {
      status: 401,
      params: () => ({ error: 'invalid_token', error_description: 'bad quote backslash X-Injected: 1 caf', resource_metadata: PRM }),
      body: { error: 'invalid_token', error_description: 'bad quote backslash X-Injected: 1 caf' },
    },
  },
  {
    family: 'hygiene', name: 'custom verifier throwing a plain Error: JSON 500, nothing leaked',
    path: '/custom', headers: () => bearer('plain-error'),
    expect: { status: 500, serverError: true, body: { error: 'server_error', error_description: 'An unexpected error occurred while authenticating the request.' } },
  },
  { family: 'hygiene', name: 'CORS preflight to a protected route is not challenged', method: 'OPTIONS', path: '/cors', headers: () => [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST'], ['Access-Control-Request-Headers', 'authorization']], expect: { status: 204, passThrough: true } },
  { family: 'hygiene', name: 'plain OPTIONS (not a preflight) is challenged', method: 'OPTIONS', path: '/cors', expect: bare('missing') },
  { family: 'hygiene', name: 'OPTIONS with Access-Control-Request-Method but no Origin is not a preflight: challenged', method: 'OPTIONS', path: '/cors', headers: () => [['Access-Control-Request-Method', 'POST']], expect: bare('missing') },
  { family: 'hygiene', name: 'OPTIONS with Origin but no Access-Control-Request-Method is not a preflight: challenged', method: 'OPTIONS', path: '/cors', headers: () => [['Origin', 'https://app.example']], expect: bare('missing') },
  { family: 'hygiene', name: 'POST with Origin and Access-Control-Request-Method is not a preflight: challenged', method: 'POST', path: '/cors', headers: () => [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']], expect: bare('missing') },
  { family: 'hygiene', name: 'cross-origin request without a token: 401 exposes WWW-Authenticate', path: '/cors', headers: () => [['Origin', 'https://app.example']], expect: bare('missing') },
  { family: 'hygiene', name: 'HEAD without a token: 401 with the same challenge', method: 'HEAD', expect: { ...bare('missing'), body: undefined } },
];

// ---------------------------------------------------------------- per-row checks

const DESCRIPTION_CHARSET = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const ALLOWED_PARAMS = new Set(['error', 'error_description', 'resource_metadata', 'scope']);

function requestFor(row) {
  const path = typeof row.path === 'function' ? row.path() : row.path ?? '/mcp';
  const headers = row.headers ? row.headers() : [];
  const token = row.token ? row.token() : undefined;
  if (token !== undefined) headers.push(['Authorization', `Bearer ${token}`]);
  const body = row.body ? row.body() : undefined;
  return { method: row.method ?? (body !== undefined ? 'POST' : 'GET'), path, target: row.target ?? path, host: row.host ?? '127.0.0.1', headers, body };
}

function sendRow(server, { method, target, host, headers, body }) {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return rawRequest(server.port, `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

/** Strings a rejection must never echo: the token's segments and planted claim values. */
function secretsOf(request) {
  const secrets = [SUB_MARKER];
  const query = new URLSearchParams(request.path.split('?')[1] ?? '');
  for (const part of (query.get('access_token') ?? '').split('.')) if (part.length > 12) secrets.push(part);
  for (const [name, value] of request.headers) {
    if (name.toLowerCase() !== 'authorization') continue;
    for (const part of value.split(/[ .]/)) if (part.length > 12) secrets.push(part);
  }
  return secrets;
}

function checkResponse(row, request, res) {
  const expect = row.expect;
  const all = res.headers.map(([name, value]) => `${name}: ${value}`).join('\n');
  for (const [name, value] of res.headers) assert.doesNotMatch(`${name}${value}`, /[\r\n]/, `CR/LF in header ${name}`);

  assert.equal(res.status, expect.status, `status (body: ${res.body.slice(0, 300)})`);
  if (expect.noEcho) assert.ok(!all.includes('evil.example') && !res.body.includes('evil.example'), 'no attacker-controlled host echoed');
  if (expect.node) return; // The HTTP server's own answer: no middleware ran.

  const challenges = headerValues(res.headers, 'www-authenticate');
  if (expect.accepted || expect.passThrough || expect.serverError) {
    assert.equal(challenges.length, 0, 'no challenge');
  } else {
    assert.equal(challenges.length, 1, `exactly one WWW-Authenticate (got ${JSON.stringify(challenges)})`);
    const parsed = parseWwwAuthenticate(challenges[0]); // throws on unescaped quotes, duplicates, bad syntax
    assert.equal(parsed.scheme, 'Bearer');
    assert.equal(parsed.token68, undefined);
    for (const name of Object.keys(parsed.params)) assert.ok(ALLOWED_PARAMS.has(name), `unexpected param ${name}`);
    assert.deepEqual(parsed.params, expect.params(request.path), 'challenge params');
    assert.match(parsed.params.error_description ?? '', DESCRIPTION_CHARSET);
    assert.ok(!/offline_access/.test(parsed.params.scope ?? ''), 'offline_access never requested (M8)');
    assert.ok(
      headerValues(res.headers, 'access-control-expose-headers').some((v) => /(^|,\s*)WWW-Authenticate(\s*,|$)/i.test(v)),
      'WWW-Authenticate exposed to CORS (C9)',
    );
  }
  if (expect.body !== undefined) {
    assert.match(headerValues(res.headers, 'content-type')[0] ?? '', /^application\/json\b/);
    assert.deepEqual(JSON.parse(res.body), expect.body, 'JSON body');
  }
  if (expect.accepted) {
    const echo = JSON.parse(res.body);
    assert.equal(echo.authenticated, true);
    expect.check?.(echo);
    return;
  }
  if (expect.passThrough) return;
  for (const secret of secretsOf(request)) {
    assert.ok(!res.body.includes(secret) && !all.includes(secret), `echoed ${secret.slice(0, 20)}…`);
  }
  assert.ok(!all.includes('evil.example') && !res.body.includes('evil.example'), 'no attacker-controlled host echoed');
}

// ---------------------------------------------------------------- the suite

before(async () => {
  attacker = await startAuthServer({ keys: [attackerOwn, attackerEc, attackerRsa] });
  as = await startAuthServer({ keys: [] });
  as.setJwks(publishedJwks());
});
after(async () => {
  await attacker?.close();
  await as?.close();
});

const HOSTILE_MESSAGE = 'bad "quote" \\backslash\\ \r\nX-Injected: 1 caf\u00e9';
function hostileVerifier(token) {
  if (token === 'plain-error') throw new Error(`boom ${SUB_MARKER}`);
  const error = new MCPAuthTokenVerificationError('invalid_token');
  error.message = HOSTILE_MESSAGE;
  throw error;
}
// Its twin in the Python app (python/tests/conformance_app.py), from the same texts.
hostileVerifier.python = { hostile: { message: HOSTILE_MESSAGE, plain_error_token: 'plain-error', plain_error_message: `boom ${SUB_MARKER}` } };

// Rows answered by the HTTP server itself, before any app code, where uvicorn
// (its default h11 protocol) is not Node's http: the expectation under uvicorn.
const UVICORN_ANSWERS = {
  // h11 applies its 16 KiB cap only to a header block still incomplete after a
  // read (one arriving whole reaches the app); the app raises that cap, so the
  // core's token limit answers whatever TCP does.
  '20 KiB header: Node answers 431, nothing crashes': invalid('token_too_large'),
  // uvicorn's h11 protocol keeps an absolute-form target whole as the path, so no
  // route matches: the router's 404, before any middleware. Nothing echoed still holds.
  'absolute-form request target naming another host': { status: 404, node: true, noEcho: true },
};

// The same routes under every adapter; Express mounts body parsers before the gate.
const ROUTE_TABLE = [
  { path: '/mcp', methods: ['GET', 'HEAD', 'OPTIONS', 'POST'] },
  { path: '/scoped', options: { requiredScopes: SCOPES } },
  { path: '/es-only', options: { jwtVerify: { algorithms: ['ES256'] } } },
  { path: '/no-leeway', options: { jwtVerify: { clockTolerance: 0 } } },
  { path: '/strict', options: { jwtVerify: { typ: 'at+jwt', requiredClaims: ['sub', 'client_id', 'iat', 'jti'] } } },
  { path: '/max-age', options: { jwtVerify: { maxTokenAge: 60 } } },
  { path: '/custom', mode: hostileVerifier },
  { path: '/cors', methods: 'ALL', reply: 204 },
].map((route) => ({ methods: ['GET'], mode: 'jwt', reply: 'echo', ...route, options: { resource: RESOURCE, ...route.options } }));

for (const [label, serve] of Object.entries({ ...ADAPTERS, ...PYTHON_ADAPTERS })) {
  describe(`conformance over HTTP (${label})`, () => {
    let server;
    before(async () => {
      const mcpAuth = new MCPAuth({
        protectedResources: {
          metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })], scopesSupported: SCOPES },
          // The Bearer table (one challenge per response); DPoP has its own (dpop.test.mjs).
          dpop: 'off',
        },
      });
      // What mcpAuth was built from, for adapters in another process (Python).
      server = await serve(mcpAuth, ROUTE_TABLE, { issuer: as.issuer, resource: RESOURCE, scopesSupported: SCOPES, dpop: 'off' });
    });
    after(() => server?.close());

    const families = [...new Set(ROWS.map((row) => row.family))];
    for (const family of families) {
      describe(family, () => {
        for (const row of ROWS.filter((r) => r.family === family)) {
          it(row.name, async () => {
            const request = requestFor(row);
            const res = await sendRow(server, request);
            const expect = (server.runtime === 'uvicorn' && UVICORN_ANSWERS[row.name]) || row.expect;
            checkResponse({ ...row, expect }, request, res);
          });
        }
      });
    }

    it('the attacker server received zero requests (jku/x5u/jwk/x5c/kid URLs and its issuer are never fetched)', () => {
      assert.equal(attacker.hitCount(), 0, JSON.stringify(attacker.requests.map((r) => r.url)));
    });
  });
}

describe('conformance table', () => {
  it('covers every family the issue lists with several cases each', () => {
    const counts = {};
    for (const row of ROWS) counts[row.family] = (counts[row.family] ?? 0) + 1;
    for (const family of ['header', 'structure', 'keys', 'claims', 'scopes', 'hygiene']) {
      assert.ok((counts[family] ?? 0) >= 5, `${family}: ${counts[family] ?? 0} rows`);
    }
  });
});
