// A client that reuses its token, in process: bearerAuth in 'introspection'
// mode with a warm introspection cache against bearerAuth('jwt') with a warm
// verified-token cache, and mcp-auth's bearerAuth('jwt') (jose; it has no
// token cache) for reference. Same run, rounds interleaved; reports the median
// ns per call of R rounds and ratios. No HTTP and no load generator.
//
//   [N=20000] [R=7] node bench/warm-cache.mjs
import { MCPAuth } from 'mcp-auth-rs';
import * as theirs from 'mcp-auth';
import { startIntrospectionServer, RESOURCE } from '../__test__/helpers/introspection-server.mjs';
import { signJwt, claims } from '../__test__/helpers/keys.mjs';

const N = Number(process.env.N ?? 20_000);
const R = Number(process.env.R ?? 7);
const as = await startIntrospectionServer();
as.state.answer = () => ({ body: as.active({ scope: 'mcp:read', exp: Math.floor(Date.now() / 1000) + 3600 }) });
const jwt = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600 }), as.key);
const opaque = 'opaque-reused-token';

const config = async (M, fetchConfig) => ({
  protectedResources: [
    { metadata: { resource: RESOURCE, scopesSupported: ['mcp:read'], authorizationServers: [await fetchConfig(as.issuer, { type: 'oauth' })] } },
  ],
});
const { fetchServerConfig } = await import('mcp-auth-rs');
const ours = new MCPAuth(await config(MCPAuth, fetchServerConfig));
const mcp = new theirs.MCPAuth(await config(theirs.MCPAuth, theirs.fetchServerConfig));
const options = { resource: RESOURCE, audience: RESOURCE, requiredScopes: ['mcp:read'] };
const cases = {
  "mcp-auth-rs bearerAuth('jwt'), warm token cache": [ours.bearerAuth('jwt', options), jwt],
  "mcp-auth-rs bearerAuth('introspection'), warm cache": [
    ours.bearerAuth('introspection', { ...options, introspection: { clientId: 'rs', clientSecret: 's3cret' } }),
    opaque,
  ],
  "mcp-auth bearerAuth('jwt') (jose, no token cache)": [mcp.bearerAuth('jwt', options), jwt],
};

const run = (mw, token) =>
  new Promise((resolve, reject) => {
    const req = { method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` }, rawHeaders: ['Authorization', `Bearer ${token}`] };
    const res = { statusCode: 200, setHeader() {}, getHeader() {}, end() { reject(new Error(`rejected ${this.statusCode}`)); } };
    mw(req, res, (error) => (error ? reject(error) : resolve()));
  });
async function cell(mw, token) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await run(mw, token);
  return Number(process.hrtime.bigint() - t0) / N;
}

for (const [mw, token] of Object.values(cases)) await cell(mw, token); // warm: caches filled, JIT settled
const calls = as.state.calls;
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < R; r++) for (const [name, [mw, token]] of Object.entries(cases)) results[name].push(await cell(mw, token));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(results["mcp-auth-rs bearerAuth('jwt'), warm token cache"]);
console.log(`${N} calls per cell, median of ${R} rounds (ns per call; spread = min-max)`);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(`${name.padEnd(56)} ${Math.round(m).toString().padStart(7)} ns  ${(m / base).toFixed(2)}x of 'jwt'  spread ${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`);
}
console.log(`introspection calls during the measured rounds: ${as.state.calls - calls}`);
await as.close();
process.exit(0);
