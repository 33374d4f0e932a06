// In-process token verification: mcp-auth-rs against jose (what mcp-auth uses)
// in the same run, interleaved round by round, with the signature-only floor
// (node:crypto verifying the same bytes) for reference. Reports medians, the
// spread across rounds, and ratios: absolute numbers on a shared machine mean
// little on their own.
//
//   node bench/verify.mjs [--rounds 7] [--ops 2000]
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../__test__/helpers/keys.mjs';

const native = createRequire(import.meta.url)('../index.js');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, ops: { type: 'string', default: '2000' } },
});
const ROUNDS = Number(values.rounds);
const OPS = Number(values.ops);
const AUDIENCE = 'http://127.0.0.1:3001/mcp';

const keys = { RS256: generateKey('RS256', { kid: 'rs' }), ES256: generateKey('ES256', { kid: 'es' }), EdDSA: generateKey('EdDSA', { kid: 'ed' }) };
const as = await startAuthServer({ keys: Object.values(keys) });

const trust = { issuers: [{ issuer: as.issuer, jwksUri: as.jwksUri }], audiences: [AUDIENCE] };
// Rounds reuse the same tokens, so the uncached rows use a verifier without
// the verified-token cache: every call checks a signature.
const uncached = new native.Verifier({ ...trust, tokenCacheSize: 0 });
const cached = new native.Verifier(trust);
const jwks = createRemoteJWKSet(new URL(as.jwksUri));
const joseOptions = { issuer: as.issuer, audience: AUDIENCE, algorithms: ['RS256', 'ES256', 'EdDSA'] };

const claimsOf = (verified) => JSON.parse(verified.claimsJson);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function measure(fn, tokens) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < tokens.length; i++) await fn(tokens[i]);
  const ns = Number(process.hrtime.bigint() - start);
  return (tokens.length * 1e9) / ns;
}

const rows = [];
for (const [alg, key] of Object.entries(keys)) {
  // Distinct tokens: what one verification costs.
  const tokens = Array.from({ length: OPS }, (_, i) =>
    signJwt(claims({ issuer: as.issuer, audience: AUDIENCE, scope: 'read:todos', jti: `t${i}` }), key));
  const split = tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return { input: Buffer.from(t.slice(0, dot)), sig: Buffer.from(t.slice(dot + 1), 'base64url') };
  });
  const floorAlg = { RS256: 'sha256', ES256: 'sha256', EdDSA: null }[alg];
  const floorOpts = alg === 'ES256' ? { key: key.publicKey, dsaEncoding: 'ieee-p1363' } : key.publicKey;
  let f = 0;
  const impls = {
    'jose jwtVerify (remote JWKS, warm)': (t) => jwtVerify(t, jwks, joseOptions),
    // Ours hands claims over as JSON text; parsing it is part of the cost, as
    // jose's result is a parsed payload.
    'mcp-auth-rs verify() (Promise)': (t) => uncached.verify(t).then(claimsOf),
    'mcp-auth-rs verifySync()': (t) => claimsOf(uncached.verifySync(t)),
    // What bearerAuth calls. The addon checks inline unless a worker is free
    // and the machine has an idle core; one call at a time, a hop would be
    // pure latency (bench/README.md, "Inline or worker").
    'mcp-auth-rs check() (inline or worker, as the addon decides)': (t) => {
      const v = uncached.check(t);
      return v instanceof Promise ? v.then(claimsOf) : claimsOf(v);
    },
    'mcp-auth-rs verify(), repeated token (cache hit)': () => cached.verify(tokens[0]).then(claimsOf),
    'mcp-auth-rs check(), repeated token (cache hit, synchronous)': () => claimsOf(cached.check(tokens[0])),
    'signature only (node:crypto)': () => {
      const s = split[f++ % split.length];
      if (!crypto.verify(floorAlg, s.input, floorOpts, s.sig)) throw new Error('floor failed');
    },
  };
  // Warm up: key sets fetched, JIT settled.
  for (const fn of Object.values(impls)) await measure(fn, tokens.slice(0, 200));
  const results = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(impls)) results[name].push(await measure(fn, tokens));
  }
  const jose = median(results['jose jwtVerify (remote JWKS, warm)']);
  const floor = median(results['signature only (node:crypto)']);
  for (const [name, xs] of Object.entries(results)) {
    const m = median(xs);
    rows.push({ alg, name, m, lo: Math.min(...xs), hi: Math.max(...xs), vsJose: m / jose, vsFloor: m / floor });
  }
}
await as.close();

console.log(`verify: ${ROUNDS} interleaved rounds × ${OPS} distinct tokens, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| alg | implementation | ops/s (median) | µs/op | range ops/s | × jose | × floor |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.alg} | ${r.name} | ${fmt(r.m)} | ${(1e6 / r.m).toFixed(1)} | ${fmt(r.lo)}–${fmt(r.hi)} | ${r.vsJose.toFixed(2)} | ${r.vsFloor.toFixed(2)} |`);
}

// The in-process targets, against this run.
console.log('');
for (const alg of Object.keys(keys)) {
  const row = (name) => rows.find((r) => r.alg === alg && r.name === name);
  const hit = row('mcp-auth-rs check(), repeated token (cache hit, synchronous)');
  const sync = row('mcp-auth-rs verifySync()');
  console.log(`- ${alg}: a cache hit (check()) is ${hit.vsJose.toFixed(1)}× jose (target ≥ 20): ${hit.vsJose >= 20 ? 'met' : 'NOT met'}`);
  const slower = 1 / sync.vsFloor;
  console.log(`- ${alg}: verifySync() takes ${slower.toFixed(2)}× the signature-only floor (target ≤ 1.25): ${slower <= 1.25 ? 'met' : 'NOT met'}`);
}
