// The ASGI middleware's overhead per request under uvicorn: mcp-auth-rs's
// bearer_auth_middleware('jwt') against mcpauth 0.2.0b1's (and FastMCP 4's
// JWTVerifier as FastMCP mounts it), in one server, same run. Load from
// autocannon in this process; routes interleaved cell by cell (order reversed
// every other round); medians, the spread over rounds, and the ratio of our
// overhead to mcpauth's. The method is bench/express.mjs's.
//
//   node bench/python/asgi.mjs [--rounds 3] [--duration 3] [--warmup 1]
//     [--connections 16] [--pool 6000] [--kinds reused,distinct]
//     [--routes none,ours,mcpauth,fastmcp] [--pin] [--python target/py-venv-bench/bin/python]
//
// The server (bench/python/app.py, uvicorn, asyncio + h11) is one process with
// one route per implementation, each the same tiny JSON app behind a different
// middleware, so a difference between routes is the middleware. --pin: the
// server (all its threads) on CPU 1 from its first instruction (taskset), this
// process (autocannon and the loopback provider) on CPU 0.
//
// Per cell: req/s, p99, the server's CPU time per request (process_time over
// the cell, all threads, read through GET /_bench/cpu; a full gc.collect()
// runs before each cell), and the provider's JWKS fetches per request.
// Overheads are per round against the same round's no-auth cell:
// 1/rps(route) − 1/rps(none) (whole machine: the client shares the cores
// unless pinned) and server CPU µs/req(route) − µs/req(none).
//
// Token kinds (every request carries `Authorization: Bearer …`, the no-auth
// route's too): reused, one valid token throughout (what an MCP client sends;
// our verified-token cache answers); distinct, a pool of --pool valid tokens
// (more than our cache's 4096 entries) walked in order per route, so every
// request checks a signature.
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startAuthServer } from '../../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../../__test__/helpers/keys.mjs';
import { median, fmt, fixed, today } from '../helpers/common.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '16' },
    pool: { type: 'string', default: '6000' },
    kinds: { type: 'string', default: 'reused,distinct' },
    routes: { type: 'string', default: 'none,ours,mcpauth,fastmcp' },
    pin: { type: 'boolean', default: false },
    python: { type: 'string', default: path.join(ROOT, 'target/py-venv-bench/bin/python') },
  },
});
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const POOL = Number(values.pool);
const KINDS = values.kinds.split(',');
const ROUTES = values.routes.split(',');
for (const kind of KINDS) if (!['reused', 'distinct'].includes(kind)) throw new Error(`unknown token kind ${kind}`);
for (const route of ROUTES) if (!['none', 'ours', 'mcpauth', 'fastmcp'].includes(route)) throw new Error(`unknown route ${route}`);
if (!ROUTES.includes('none')) throw new Error('the none route is the baseline: keep it in --routes');
const RESOURCE = 'http://127.0.0.1:3001/mcp';
const LABEL = {
  none: 'no auth',
  ours: "mcp-auth-rs bearer_auth_middleware('jwt')",
  mcpauth: "mcpauth bearer_auth_middleware('jwt')",
  fastmcp: 'FastMCP JWTVerifier (its middleware + RequireAuthMiddleware)',
};
const commandLine = ['node', 'bench/python/asgi.mjs', ...process.argv.slice(2)].join(' ');

const key = generateKey('RS256', { kid: 'bench' });
const as = await startAuthServer({ keys: [key] });

// The server, pinned before Python starts when asked.
const serverArgs = [path.join(ROOT, 'bench/python/app.py'), JSON.stringify({ issuer: as.issuer, resource: RESOURCE, routes: ROUTES })];
const child = values.pin
  ? spawn('taskset', ['-c', '1', values.python, ...serverArgs], { stdio: ['pipe', 'pipe', 'inherit'] })
  : spawn(values.python, serverArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
process.on('exit', () => child.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
const serverReady = new Promise((resolve, reject) => {
  const lines = readline.createInterface({ input: child.stdout });
  lines.once('line', (line) => {
    const match = /^ready (\d+)$/.exec(line);
    if (match) resolve(Number(match[1]));
    else reject(new Error(`unexpected first line from app.py: ${line}`));
  });
  child.once('exit', (code) => reject(new Error(`app.py exited before it was ready (code ${code})`)));
});
serverReady.catch(() => {});

// Signing happens while the server boots. An hour of life outlasts any run.
const sign = (i) => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600, jti: `t${i}` }), key);
const signStart = performance.now();
const pool = Array.from({ length: Math.max(POOL, 2) }, (_, i) => sign(i));
const signMs = performance.now() - signStart;
const bearer = {
  reused: [`Bearer ${sign('reused')}`],
  distinct: pool.map((t) => `Bearer ${t}`),
};

const port = await serverReady;
const url = `http://127.0.0.1:${port}`;
if (values.pin) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

const serverCpuNs = async () => (await (await fetch(`${url}/_bench/cpu`)).json()).cpu_ns;
const serverGc = async () => (await fetch(`${url}/_bench/gc`, { method: 'POST' })).arrayBuffer();

// Correctness before speed: every route accepts every kind's token.
for (const kind of KINDS) {
  for (const route of ROUTES) {
    const response = await fetch(`${url}/${route}/`, { headers: { authorization: bearer[kind][0] } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${route} answered ${response.status} to a ${kind} token, expected 200`);
  }
}

// One position per (kind, route), kept across cells: a token comes back only after the whole pool.
const cursors = new Map();
function requestsFor(kind, route) {
  const headers = bearer[kind];
  const id = `${kind}:${route}`;
  return [{
    method: 'GET',
    path: `/${route}/`,
    setupRequest(req) {
      const i = cursors.get(id) ?? 0;
      cursors.set(id, i + 1);
      req.headers.authorization = headers[i % headers.length];
      return req;
    },
  }];
}

async function cell(kind, route, duration) {
  await serverGc();
  const cpuBefore = await serverCpuNs();
  const jwksBefore = as.hitCount('/jwks');
  const result = await autocannon({ url, connections: CONNECTIONS, duration, requests: requestsFor(kind, route) });
  const cpuAfter = await serverCpuNs();
  const jwks = as.hitCount('/jwks') - jwksBefore;
  const completed = result.requests.total;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    console.error(`warning: ${kind} ${route}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    rps: completed / result.duration,
    p99: result.latency.p99,
    cpuPerRequest: (cpuAfter - cpuBefore) / 1000 / Math.max(completed, 1),
    jwksPerRequest: jwks / Math.max(completed, 1),
  };
}

const cpuInfo = `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}`;
console.error(`asgi: ${ROUNDS} rounds × ${DURATION} s per cell (+${WARMUP} s warm-up), ${CONNECTIONS} connections, RS256, ` +
  `${pool.length} tokens signed in ${(signMs / 1000).toFixed(1)} s; server pid ${child.pid}, ${cpuInfo}`);
if (WARMUP > 0) {
  for (const kind of KINDS) for (const route of ROUTES) await cell(kind, route, WARMUP);
}
const results = {};
for (const kind of KINDS) results[kind] = Object.fromEntries(ROUTES.map((r) => [r, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...ROUTES].reverse() : ROUTES;
  for (const kind of KINDS) {
    for (const route of order) {
      const c = await cell(kind, route, DURATION);
      results[kind][route].push(c);
      console.error(`  round ${round + 1} ${kind.padEnd(8)} ${route.padEnd(8)} ${fmt(c.rps).padStart(6)} req/s  ` +
        `server CPU ${c.cpuPerRequest.toFixed(1)} µs/req  JWKS fetches/req ${c.jwksPerRequest.toFixed(2)}`);
    }
  }
}
child.stdin.end();
await new Promise((resolve) => {
  const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 5_000);
  child.once('exit', () => { clearTimeout(timer); resolve(); });
});
await as.close();

// Per round against that round's no-auth cell, then medians and ranges.
const range = (xs, f) => `${f(Math.min(...xs))} – ${f(Math.max(...xs))}`;
const summary = {};
for (const kind of KINDS) {
  const none = results[kind].none;
  summary[kind] = {};
  for (const route of ROUTES) {
    const cells = results[kind][route];
    summary[kind][route] = {
      cells,
      overhead: cells.map((c, r) => 1e6 / c.rps - 1e6 / none[r].rps),
      cpuOverhead: cells.map((c, r) => c.cpuPerRequest - none[r].cpuPerRequest),
    };
  }
  if (ROUTES.includes('mcpauth')) {
    const ours = summary[kind].ours;
    const theirs = summary[kind].mcpauth;
    for (const route of ROUTES.filter((r) => r !== 'none' && r !== 'mcpauth')) {
      const s = summary[kind][route];
      s.ratio = s.overhead.map((o, r) => o / theirs.overhead[r]);
      s.cpuRatio = s.cpuOverhead.map((o, r) => o / theirs.cpuOverhead[r]);
    }
    void ours;
  }
}

const pythonVersion = execFileSync(values.python, ['-c', 'import platform; print(platform.python_version())']).toString().trim();
console.log(`asgi (Python): ${today()}, \`${commandLine}\`, CPython ${pythonVersion}, uvicorn (asyncio, h11), starlette, RS256 2048, ` +
  `${ROUNDS} interleaved rounds × ${DURATION} s per cell, ${CONNECTIONS} connections; ` +
  (values.pin ? `autocannon pinned to CPU 0, the server to CPU 1 of ${cpuInfo}` : `autocannon and the server share ${cpuInfo}`));
console.log('');
console.log('| tokens | route | req/s (median) | range req/s | p99 ms | overhead µs/req (median) | range µs | server CPU µs/req | server CPU overhead µs/req | range µs | JWKS fetches/req | overhead ÷ mcpauth\'s | CPU overhead ÷ mcpauth\'s |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const kind of KINDS) {
  for (const route of ROUTES) {
    const s = summary[kind][route];
    const rps = s.cells.map((c) => c.rps);
    const isAuth = route !== 'none';
    const hasRatio = s.ratio !== undefined;
    console.log(`| ${[
      kind,
      LABEL[route],
      fmt(median(rps)),
      range(rps, fmt),
      fixed(median(s.cells.map((c) => c.p99)), 0),
      isAuth ? fixed(median(s.overhead)) : '—',
      isAuth ? range(s.overhead, fixed) : '—',
      fixed(median(s.cells.map((c) => c.cpuPerRequest))),
      isAuth ? fixed(median(s.cpuOverhead)) : '—',
      isAuth ? range(s.cpuOverhead, fixed) : '—',
      fixed(median(s.cells.map((c) => c.jwksPerRequest)), 2),
      hasRatio ? `${fixed(median(s.ratio), 2)} (${range(s.ratio, (x) => fixed(x, 2))})` : '—',
      hasRatio ? `${fixed(median(s.cpuRatio), 2)} (${range(s.cpuRatio, (x) => fixed(x, 2))})` : '—',
    ].join(' | ')} |`);
  }
}

// The issue's goal: our middleware's overhead at most 0.5× mcpauth's, per token kind,
// on both measures (whole machine and server CPU).
console.log('');
if (ROUTES.includes('ours') && ROUTES.includes('mcpauth')) {
  const placement = values.pin ? 'pinned' : 'unpinned';
  for (const kind of KINDS) {
    const s = summary[kind].ours;
    for (const [measure, xs] of [['overhead', s.ratio], ['server CPU overhead', s.cpuRatio]]) {
      const r = median(xs);
      console.log(`- ${kind} tokens, ${placement}: our ${measure} is ${fixed(r, 2)}× mcpauth's ` +
        `(rounds ${range(xs, (x) => fixed(x, 2))}; goal ≤ 0.5×): ${r <= 0.5 ? 'met' : 'NOT met'}`);
    }
  }
}
