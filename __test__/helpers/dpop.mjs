// DPoP proofs (RFC 9449 §4.2) for tests, built byte by byte so a test can
// also build every wrong one: another typ, an HMAC or `none` alg, a private
// key in the header, stale iat, wrong ath, duplicate members.

import crypto from 'node:crypto';
import { b64url, generateKey, jwkThumbprint, nowSeconds, signRaw } from './keys.mjs';

/** A client's DPoP key: `{ key, jwk (public, no kid/use/alg), jkt }`. */
export function dpopKey(alg = 'ES256') {
  const key = generateKey(alg, { kid: null, use: null, includeAlg: false, seed: `dpop-${crypto.randomUUID()}` });
  return { key, jwk: key.publicJwk, jkt: jwkThumbprint(key.publicJwk) };
}

/** base64url SHA-256 of the access token: the proof's `ath`. */
export function ath(token) {
  return b64url(crypto.createHash('sha256').update(token).digest());
}

/**
 * A signed proof for `htm` `htu`, bound to `token` (omit for the token
 * endpoint). `header` and `claims` members override (an `undefined` member
 * is removed); `rawHeader` replaces the header JSON text entirely.
 */
export function proof(holder, { htm = 'GET', htu, token, nonce, iat = nowSeconds(), header = {}, claims = {}, rawHeader, signWith } = {}) {
  const fullHeader = dropUndefined({ typ: 'dpop+jwt', alg: holder.key.alg, jwk: holder.jwk, ...header });
  const payload = dropUndefined({
    jti: crypto.randomUUID(),
    htm,
    htu,
    iat,
    ...(token === undefined ? {} : { ath: ath(token) }),
    ...(nonce === undefined ? {} : { nonce }),
    ...claims,
  });
  return signRaw(rawHeader ?? JSON.stringify(fullHeader), JSON.stringify(payload), signWith ?? holder.key);
}

/** A proof with an HMAC signature (`alg: HS256`), keyed with `secret`. */
export function hmacProof(holder, options, secret = 'a shared secret') {
  const header = { typ: 'dpop+jwt', alg: 'HS256', jwk: holder.jwk };
  const payload = { jti: crypto.randomUUID(), htm: options.htm ?? 'GET', htu: options.htu, iat: nowSeconds(), ath: ath(options.token) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(crypto.createHmac('sha256', secret).update(input).digest())}`;
}

/** An unsigned proof (`alg: none`). */
export function unsignedProof(holder, options) {
  const header = { typ: 'dpop+jwt', alg: 'none', jwk: holder.jwk };
  const payload = { jti: crypto.randomUUID(), htm: options.htm ?? 'GET', htu: options.htu, iat: nowSeconds(), ath: ath(options.token) };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.`;
}

function dropUndefined(record) {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
