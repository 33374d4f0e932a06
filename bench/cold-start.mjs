// Cold start: N concurrent first requests (distinct valid tokens) against a
// freshly started Express server whose authorization server is configured
// lazily (`{ issuer, type }`), so metadata and keys are fetched by those
// requests. Counts the discovery and JWKS fetches the authorization server
// saw (target for us: 1 each, however many requests wait) and times the burst
// until all N are answered. Then three more bursts of N new distinct tokens on
// the now-warm server (median reported) give the same burst without the
// fetches: cold − warm is what the cold start costs. (The warm bursts are still
// early in the process's life, so part of what they measure is JIT warm-up,
// the same for both implementations.)
//
//   node bench/cold-start.mjs [--rounds 5] [--n 200] [--type oidc] [--alg RS256]
//
// Every round starts, per implementation, a fresh authorization server (fresh
// hit counters) and a fresh server process (helpers/server.mjs) with only that
// implementation's route, so nothing is cached anywhere; implementations are
// interleaved, the order reversed every other round. The N client sockets are
// opened (keep-alive, on a no-auth route) before the clock starts, so the
// timed burst is N requests written at once on open connections, not N TCP
// handshakes. Client (this process), server and authorization server share
// the machine's cores: compare the two rows, not the absolute milliseconds.
import http from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../__test__/helpers/keys.mjs';
import { startServer, median, fixed, today, commandLine } from './helpers/common.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    n: { type: 'string', default: '200' },
    type: { type: 'string', default: 'oidc' },
    alg: { type: 'string', default: 'RS256' },
  },
});
const ROUNDS = Number(values.rounds);
const N = Number(values.n);
const TYPE = values.type;
const RESOURCE = 'http://127.0.0.1:3001/mcp';
const IMPLS = ['mcp-auth', 'ours'];
const WARM_BURSTS = 3;
const TOTAL = N * (1 + WARM_BURSTS); // requests per server and round
const LABEL = { 'mcp-auth': "mcp-auth bearerAuth('jwt')", ours: "mcp-auth-rs bearerAuth('jwt')" };

const key = generateKey(values.alg, { kid: 'cold' });

function get(agent, port, path, token) {
  return new Promise((resolve, reject) => {
    const req = http.get({ agent, host: '127.0.0.1', port, path, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function burst(agent, port, path, tokens) {
  const start = performance.now();
  const statuses = await Promise.all(tokens.map((t) => get(agent, port, path, t)));
  return { ms: performance.now() - start, ok: statuses.filter((s) => s === 200).length };
}

async function coldStart(impl) {
  const as = await startAuthServer({ keys: [key] });
  const sign = (tag) => Array.from({ length: N }, (_, i) =>
    signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', jti: `${tag}${i}` }), key));
  const coldTokens = sign('cold');
  const warmTokens = Array.from({ length: WARM_BURSTS }, (_, b) => sign(`warm${b}-`));
  const server = await startServer({ issuer: as.issuer, type: TYPE, resource: RESOURCE, impls: ['none', impl], discovery: 'lazy' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: N, maxFreeSockets: N });
  try {
    await Promise.all(Array.from({ length: N }, () => get(agent, server.port, '/none')));
    const before = as.hitCount();
    await server.gc();
    const cold = await burst(agent, server.port, `/${impl}`, coldTokens);
    const discoveryPaths = new Set(Object.values(as.paths).filter((p) => p !== as.paths.jwks));
    const discovery = [...discoveryPaths].reduce((sum, p) => sum + as.hitCount(p), 0);
    const jwks = as.hitCount(as.paths.jwks);
    const other = as.hitCount() - before - discovery - jwks;
    const warm = [];
    for (const tokens of warmTokens) warm.push(await burst(agent, server.port, `/${impl}`, tokens));
    const fetchesWhileWarm = as.hitCount() - before - discovery - jwks - other;
    return {
      cold: cold.ms,
      warm: median(warm.map((w) => w.ms)),
      ok: cold.ok + warm.reduce((sum, w) => sum + w.ok, 0),
      discovery,
      jwks,
      other,
      fetchesWhileWarm,
      before,
    };
  } finally {
    agent.destroy();
    await server.stop();
    await as.close();
  }
}

const cpuInfo = `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}`;
const results = Object.fromEntries(IMPLS.map((i) => [i, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const impl of round % 2 ? [...IMPLS].reverse() : IMPLS) {
    const r = await coldStart(impl);
    results[impl].push(r);
    console.error(`  round ${round + 1} ${impl.padEnd(8)} cold ${r.cold.toFixed(1)} ms, warm ${r.warm.toFixed(1)} ms, ` +
      `discovery ${r.discovery}, jwks ${r.jwks}, other AS hits ${r.other + r.before}, ${r.ok}/${TOTAL} answered 200`);
    if (r.ok !== TOTAL) console.error(`warning: ${impl}: only ${r.ok} of ${TOTAL} requests answered 200`);
    if (r.before !== 0 || r.other !== 0 || r.fetchesWhileWarm !== 0) {
      console.error(`warning: ${impl}: authorization server hits outside the cold burst's discovery/JWKS fetches ` +
        `(${r.before} before it, ${r.other} to other paths, ${r.fetchesWhileWarm} during the warm burst)`);
    }
  }
}

const range = (xs, f) => `${f(Math.min(...xs))} – ${f(Math.max(...xs))}`;
const count = (xs) => (Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${median(xs)} (${Math.min(...xs)} – ${Math.max(...xs)})`);
const theirs = results['mcp-auth'];
console.log(`cold-start: ${today()}, \`${commandLine()}\`, node ${process.version}, express 5, ${values.alg}, ` +
  `N = ${N} concurrent first requests (distinct tokens), \`{ issuer, type: '${TYPE}' }\` discovery config, ` +
  `${ROUNDS} rounds (fresh server and authorization server each); client, server and AS share ${cpuInfo}`);
console.log('');
console.log(`| implementation | discovery fetches | JWKS fetches | cold: all ${N} answered, ms (median) | range ms | warm burst, ms (median) | cold − warm ms | cold ours/theirs |`);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const impl of IMPLS) {
  const rs = results[impl];
  const cold = rs.map((r) => r.cold);
  const ratio = impl === 'ours' ? rs.map((r, i) => r.cold / theirs[i].cold) : null;
  console.log(`| ${[
    LABEL[impl],
    count(rs.map((r) => r.discovery)),
    count(rs.map((r) => r.jwks)),
    fixed(median(cold)),
    range(cold, fixed),
    fixed(median(rs.map((r) => r.warm))),
    fixed(median(rs.map((r) => r.cold - r.warm))),
    ratio ? `**${fixed(median(ratio), 2)}** (${range(ratio, (x) => fixed(x, 2))})` : '—',
  ].join(' | ')} |`);
}
console.log('');
const ours = results.ours;
const single = ours.every((r) => r.discovery === 1 && r.jwks === 1);
console.log(`- our fetches per cold start: discovery ${count(ours.map((r) => r.discovery))}, JWKS ${count(ours.map((r) => r.jwks))} ` +
  `(target 1 each): ${single ? 'met' : 'NOT met'}`);
console.log(`- all ${TOTAL} requests per server answered 200 in every round: ${[...ours, ...theirs].every((r) => r.ok === TOTAL) ? 'yes' : 'NO'}`);
