// Key material and JWT minting for tests. Node built-ins only.
//
// Everything here produces *exact* bytes so tests can build both well-formed
// tokens and deliberately hostile ones (wrong alg, DER signatures, duplicate
// JSON members, HMAC forgeries with a public key as the secret, ...).

import crypto from 'node:crypto';

const { RSA_PKCS1_PADDING, RSA_PKCS1_PSS_PADDING } = crypto.constants;

// JOSE alg -> how to generate a key for it and how to sign with it.
// PS*: RFC 7518 §3.5 requires salt length == digest length.
// ES*: JWS wants raw R||S (RFC 7518 §3.4), not the DER that OpenSSL emits by default.
const ALGS = {
  RS256: { kty: 'RSA', hash: 'sha256', padding: RSA_PKCS1_PADDING },
  RS384: { kty: 'RSA', hash: 'sha384', padding: RSA_PKCS1_PADDING },
  RS512: { kty: 'RSA', hash: 'sha512', padding: RSA_PKCS1_PADDING },
  PS256: { kty: 'RSA', hash: 'sha256', padding: RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  PS384: { kty: 'RSA', hash: 'sha384', padding: RSA_PKCS1_PSS_PADDING, saltLength: 48 },
  PS512: { kty: 'RSA', hash: 'sha512', padding: RSA_PKCS1_PSS_PADDING, saltLength: 64 },
  ES256: { kty: 'EC', hash: 'sha256', curve: 'P-256' },
  ES384: { kty: 'EC', hash: 'sha384', curve: 'P-384' },
  ES512: { kty: 'EC', hash: 'sha512', curve: 'P-521' },
  EdDSA: { kty: 'OKP', hash: null, curve: 'Ed25519' },
};

/** Every alg generateKey() accepts. */
export const SUPPORTED_ALGS = Object.freeze(Object.keys(ALGS));

/** Strict base64url (RFC 4648 §5) without '=' padding. Strings are UTF-8 encoded. */
export function b64url(input) {
  if (typeof input === 'string') return Buffer.from(input, 'utf8').toString('base64url');
  return (Buffer.isBuffer(input) ? input : Buffer.from(input)).toString('base64url');
}

// Keys are generated DER-encoded and imported again on purpose. A KeyObject
// straight from generateKeyPairSync shares its key data (and that data's mutex)
// with the generator job; on Node 20, exporting such a key as a JWK can
// deadlock when garbage collection finalizes the job mid-export (seen here: the
// test process hung in a futex wait inside ~KeyGenJob called from ExportJWK).
export function newPrivateKey(type, options = {}) {
  const { privateKey } = crypto.generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return crypto.createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
}

// RSA generation costs ~50-500 ms per key, so reuse material within a process.
// Keyed by (bits, seed) so distinct names still get distinct keys.
const rsaCache = new Map();

function rsaPrivateKey(bits, seed) {
  const make = () => newPrivateKey('rsa', { modulusLength: bits });
  if (seed == null) return make();
  const cacheKey = `${bits}:${seed}`;
  if (!rsaCache.has(cacheKey)) rsaCache.set(cacheKey, make());
  return rsaCache.get(cacheKey);
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url). Used as the default kid. */
export function jwkThumbprint(jwk) {
  const required = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }[jwk.kty];
  if (!required) throw new Error(`jwkThumbprint: unsupported kty ${jwk.kty}`);
  const canonical = JSON.stringify(Object.fromEntries(required.map((k) => [k, jwk[k]])));
  return b64url(crypto.createHash('sha256').update(canonical).digest());
}

/**
 * Generate a signing key.
 *
 * @param {string} alg one of SUPPORTED_ALGS
 * @param {object} [opts]
 * @param {string|null} [opts.kid]  default: RFC 7638 thumbprint; null = no kid anywhere
 * @param {number} [opts.bits=2048] RSA modulus size
 * @param {string|null} [opts.use='sig'] JWK "use"; null omits it
 * @param {boolean} [opts.includeAlg=true] put "alg" in the public JWK
 * @param {string} [opts.seed] RSA cache name (defaults to kid). Same (bits, seed) => same
 *   RSA key material, so pass a new seed to get a *different* key under the same kid.
 *   Without kid and seed, a fresh RSA key is generated every time (slow).
 * @param {string} [opts.curve] hostile: override the EC curve (e.g. ES256 on P-384)
 * @returns {{alg, kid, privateKey: crypto.KeyObject, publicKey: crypto.KeyObject,
 *   publicJwk: object, publicPem: string}}
 */
export function generateKey(alg, opts = {}) {
  const spec = ALGS[alg];
  if (!spec) throw new Error(`generateKey: unsupported alg ${alg}`);
  const { bits = 2048, use = 'sig', includeAlg = true, curve = spec.curve } = opts;

  let privateKey;
  if (spec.kty === 'RSA') privateKey = rsaPrivateKey(bits, opts.seed ?? opts.kid);
  else if (spec.kty === 'EC') privateKey = newPrivateKey('ec', { namedCurve: curve });
  else privateKey = newPrivateKey('ed25519');

  const publicKey = crypto.createPublicKey(privateKey);
  const { kty, ...material } = publicKey.export({ format: 'jwk' }); // public members only
  const kid = opts.kid === undefined ? jwkThumbprint({ kty, ...material }) : opts.kid;

  const publicJwk = { kty, ...material };
  if (kid != null) publicJwk.kid = kid;
  if (use != null) publicJwk.use = use;
  if (includeAlg) publicJwk.alg = alg;

  return {
    alg,
    kid,
    privateKey,
    publicKey,
    publicJwk,
    // SPKI PEM of the public key: the classic "HS256 with the RSA public key" secret.
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }),
  };
}

/** `{ keys: [...] }` JWKS body for a list of keys (key objects or bare JWKs). */
export function jwks(...keys) {
  return { keys: keys.flat().map((k) => k.publicJwk ?? k) };
}

/**
 * Raw signature over `data` with `key` (uses key.alg, not any header).
 * dsaEncoding only matters for ES*: 'ieee-p1363' (JWS-correct) or 'der' (hostile).
 */
export function signBytes(key, data, { dsaEncoding = 'ieee-p1363' } = {}) {
  const spec = ALGS[key.alg];
  if (!spec) throw new Error(`signBytes: unsupported alg ${key.alg}`);
  const buf = Buffer.from(data);
  if (spec.kty === 'RSA') {
    return crypto.sign(spec.hash, buf, { key: key.privateKey, padding: spec.padding, saltLength: spec.saltLength });
  }
  if (spec.kty === 'EC') return crypto.sign(spec.hash, buf, { key: key.privateKey, dsaEncoding });
  return crypto.sign(null, buf, key.privateKey); // Ed25519 hashes internally
}

/**
 * Compact JWS from exact header/payload JSON text (e.g. duplicate members,
 * odd whitespace). Signed with key.alg regardless of what the header says.
 */
export function signRaw(headerJson, payloadJson, key, { dsaEncoding } = {}) {
  const signingInput = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  return `${signingInput}.${b64url(signBytes(key, signingInput, { dsaEncoding }))}`;
}

/**
 * Compact JWS access token. Header defaults `{ alg: key.alg, typ: 'at+jwt', kid: key.kid }`;
 * overrides are merged and an override of `undefined` removes the member.
 * The signature always uses key.alg, so `{ alg: 'RS384' }` yields an alg/key mismatch.
 * A string payload is used verbatim.
 */
export function signJwt(payload, key, headerOverrides = {}) {
  const header = dropUndefined({ alg: key.alg, typ: 'at+jwt', kid: key.kid ?? undefined, ...headerOverrides });
  return signRaw(JSON.stringify(header), toJson(payload), key);
}

/**
 * HS256 token with an arbitrary secret, for algorithm-confusion forgeries
 * (e.g. `hs256({ alg: 'HS256', kid }, claims, key.publicPem)`). Header/payload
 * objects are serialized as given; strings are used verbatim.
 */
export function hs256(header, payload, secret) {
  const signingInput = `${b64url(toJson(header))}.${b64url(toJson(payload))}`;
  const mac = crypto.createHmac('sha256', secret).update(signingInput).digest();
  return `${signingInput}.${b64url(mac)}`;
}

/** Unsecured JWT (`alg: none`, empty signature) for rejection tests. */
export function unsecuredJwt(payload, header = { alg: 'none', typ: 'at+jwt' }) {
  return `${b64url(toJson(header))}.${b64url(toJson(payload))}.`;
}

/** Current time in whole seconds (JWT NumericDate). */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/**
 * RFC 9068 access-token claims: iss, sub, aud, exp, iat, jti, client_id, scope.
 * `scope` may be an array (joined with spaces) and is omitted when undefined.
 * `now` (seconds or Date) pins iat; exp = now + ttl. Extra members are merged in,
 * and passing any member as `undefined` (e.g. `{ exp: undefined }`) removes it.
 */
export function claims(opts = {}) {
  const { issuer, audience, scope, ttl = 300, now: nowOpt, ...extra } = opts;
  const now = nowOpt instanceof Date ? Math.floor(nowOpt.getTime() / 1000) : nowOpt ?? nowSeconds();
  return dropUndefined({
    iss: issuer,
    sub: 'user-1',
    aud: audience,
    exp: now + ttl,
    iat: now,
    jti: crypto.randomUUID(),
    client_id: 'client-1',
    scope: Array.isArray(scope) ? scope.join(' ') : scope,
    ...extra,
  });
}

function toJson(value) {
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value);
}

function dropUndefined(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
