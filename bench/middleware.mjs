// The middleware alone, in process: each bearerAuth('jwt') (ours, mcp-auth's)
// and a signature-only floor (node:crypto) called directly with minimal
// req/res objects, CONC calls in flight, N distinct tokens (more than our
// cache holds, so every call checks a signature). Reports CPU µs per call
// (process.cpuUsage, all threads) and wall µs per call, median of R rounds.
// No HTTP and no load generator: this is how the inline / worker decision
// was measured (bench/README.md).
//
//   [ALG=RS256] [N=6000] [R=5] [CONC=16] [ONLY=floor|ours|mcp] [MCP_AUTH_RS_SIGNATURE_CHECKS=inline|worker] node bench/middleware.mjs
import crypto from 'node:crypto';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../__test__/helpers/keys.mjs';
const { MCPAuth, fetchServerConfig } = await import('mcp-auth-rs');
const theirs = await import('mcp-auth');
const RESOURCE = 'http://127.0.0.1:3001/mcp';
const ALG = process.env.ALG ?? 'RS256';
const key = generateKey(ALG, { kid: 'bench' });
const as = await startAuthServer({ keys: [key] });
const N = Number(process.env.N ?? 6000);
const pool = Array.from({ length: N }, (_, i) => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600, jti: `t${i}` }), key));
const mk = async (M, f) => new M({ protectedResources: [{ metadata: { resource: RESOURCE, authorizationServers: [await f(as.issuer, { type: 'oidc' })] } }] }).bearerAuth('jwt', { resource: RESOURCE, audience: RESOURCE });
const ours = await mk(MCPAuth, fetchServerConfig);
const mcp = await mk(theirs.MCPAuth, theirs.fetchServerConfig);
const pub = key.publicKey;
const floor = (req, res, next) => { const t = req.headers.authorization.slice(7); const d = t.lastIndexOf('.'); if (crypto.verify(ALG === 'EdDSA' ? null : 'sha256', Buffer.from(t.slice(0, d)), ALG === 'ES256' ? { key: pub, dsaEncoding: 'ieee-p1363' } : pub, Buffer.from(t.slice(d + 1), 'base64url'))) next(); else res.end(); };
const run = (mw, token) => new Promise((resolve, reject) => {
  const req = { method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` }, rawHeaders: ['Authorization', `Bearer ${token}`] };
  const res = { statusCode: 200, setHeader() {}, getHeader() {}, end() { reject(new Error('rejected ' + this.statusCode)); } };
  mw(req, res, (e) => (e ? reject(e) : resolve()));
});
const all = { floor, ours, mcp };
// ONLY=ours (say) measures one implementation, e.g. under --cpu-prof.
const impls = process.env.ONLY ? { [process.env.ONLY]: all[process.env.ONLY] } : all;
const CONC = Number(process.env.CONC ?? 16);
async function cell(mw) {
  let i = 0;
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => { while (i < N) await run(mw, pool[i++]); }));
  const c = process.cpuUsage(c0); const wall = performance.now() - t0;
  return { cpu: (c.user + c.system) / N, wall: (wall * 1000) / N };
}
for (const mw of Object.values(impls)) await cell(mw);
const out = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
for (let r = 0; r < Number(process.env.R ?? 5); r++) for (const [k, mw] of Object.entries(impls)) out[k].push(await cell(mw));
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [k, xs] of Object.entries(out)) console.log(k.padEnd(6), 'cpu µs/op', med(xs.map((x) => x.cpu)).toFixed(1), ' wall µs/op', med(xs.map((x) => x.wall)).toFixed(1), ' cpu range', Math.min(...xs.map((x) => x.cpu)).toFixed(1), '-', Math.max(...xs.map((x) => x.cpu)).toFixed(1));
await as.close();
process.exit(0);
