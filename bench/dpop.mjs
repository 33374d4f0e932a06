// A client that reuses its token, in process, through the Express
// middleware: DPoP (a fresh ES256 proof per request, made before timing)
// against Bearer with the same token and the same warm verified-token cache,
// mcp-auth's bearerAuth('jwt') (jose; no DPoP, no token cache) for
// reference, and one ES256 signature verification by Node's crypto, which
// is what a proof check should add. Same run, rounds interleaved; median ns
// per call of R rounds, and ratios. No HTTP and no load generator.
//
//   [N=5000] [R=7] node bench/dpop.mjs
import crypto from 'node:crypto';
import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import * as theirs from 'mcp-auth';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../__test__/helpers/keys.mjs';
import { dpopKey, proof } from '../__test__/helpers/dpop.mjs';

const N = Number(process.env.N ?? 5_000);
const R = Number(process.env.R ?? 7);
const RESOURCE = 'https://mcp.example.com/mcp';
const asKey = generateKey('ES256', { kid: 'bench' });
const as = await startAuthServer({ keys: [asKey] });
const holder = dpopKey('ES256');
const bound = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600, cnf: { jkt: holder.jkt } }), asKey);
const plain = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600 }), asKey);

const config = async (fetchConfig) => ({
  protectedResources: { metadata: { resource: RESOURCE, scopesSupported: ['mcp:read'], authorizationServers: [await fetchConfig(as.issuer, { type: 'oidc' })] } },
});
// One client key sends N × R proofs within one window: more than a key's default
// share of the replay cache (README, "Fairness"), so this resource raises it.
const { protectedResources } = await config(fetchServerConfig);
const ours = new MCPAuth({ protectedResources: { ...protectedResources, dpop: { replayCacheSize: 1_000_000, replayCachePerKey: 1_000_000 } } });
const mcp = new theirs.MCPAuth(await config(theirs.fetchServerConfig));
const options = { resource: RESOURCE, audience: RESOURCE, requiredScopes: ['mcp:read'] };
const oursMw = ours.bearerAuth('jwt', options);

// Headers per call: Bearer reuses one; DPoP takes the next fresh proof.
const bearerHeaders = () => ({ authorization: `Bearer ${plain}` });
let proofs = [];
const dpopHeaders = (i) => ({ authorization: `DPoP ${bound}`, dpop: proofs[i] });
const newProofs = () => {
  proofs = Array.from({ length: N }, () => proof(holder, { htu: RESOURCE, token: bound }));
};

const run = (mw, headers) =>
  new Promise((resolve, reject) => {
    const req = { method: 'GET', url: '/mcp', headers, rawHeaders: Object.entries(headers).flat() };
    const res = { statusCode: 200, setHeader() {}, getHeader() {}, end(body) { reject(new Error(`rejected ${this.statusCode} ${body}`)); } };
    mw(req, res, (error) => (error ? reject(error) : resolve()));
  });
async function middlewareCell(mw, headersOf) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await run(mw, headersOf(i));
  return Number(process.hrtime.bigint() - t0) / N;
}
// One ES256 verification of a proof-sized input, as Node's crypto does it.
const signed = proof(holder, { htu: RESOURCE, token: bound });
const [h, p, s] = signed.split('.');
const input = Buffer.from(`${h}.${p}`);
const signature = Buffer.from(s, 'base64url');
const publicKey = crypto.createPublicKey({ key: holder.jwk, format: 'jwk' });
function verifyCell() {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    if (!crypto.verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('verify');
  }
  return Number(process.hrtime.bigint() - t0) / N;
}

const cases = {
  "mcp-auth-rs bearerAuth('jwt'), Bearer, reused token": () => middlewareCell(oursMw, bearerHeaders),
  "mcp-auth-rs bearerAuth('jwt'), DPoP, reused token": () => middlewareCell(oursMw, dpopHeaders),
  "mcp-auth bearerAuth('jwt') (jose), Bearer": () => middlewareCell(mcp.bearerAuth('jwt', options), bearerHeaders),
  'node:crypto ES256 verify (one proof signature)': verifyCell,
};

newProofs();
for (const measure of Object.values(cases)) await measure(); // warm: caches filled, JIT settled
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < R; r++) {
  newProofs(); // every proof is used once: a replay would be refused
  for (const [name, measure] of Object.entries(cases)) results[name].push(await measure());
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const bearer = median(results["mcp-auth-rs bearerAuth('jwt'), Bearer, reused token"]);
const dpop = median(results["mcp-auth-rs bearerAuth('jwt'), DPoP, reused token"]);
const verify = median(results['node:crypto ES256 verify (one proof signature)']);
console.log(`${N} calls per cell, median of ${R} rounds (ns per call; spread = min-max)`);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(`${name.padEnd(56)} ${Math.round(m).toString().padStart(8)} ns  ${(m / bearer).toFixed(2)}x of Bearer  spread ${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`);
}
console.log(`DPoP / Bearer: ${(dpop / bearer).toFixed(2)}x; DPoP − Bearer = ${Math.round(dpop - bearer)} ns = ${((dpop - bearer) / verify).toFixed(2)} ES256 verifications`);
await as.close();
process.exit(0);
