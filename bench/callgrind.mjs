// Instructions per request, per route, of the Express benchmark server run
// under valgrind's callgrind: a count the host's other tenants do not move,
// where bench/express.mjs's CPU times on this shared 2-core machine move by
// more than most changes. It counts work, not time: cache misses, and the
// SHA-NI instructions valgrind does not emulate (aws-lc then hashes in
// software), are not what the real server sees. Use it to find and compare
// work; judge targets with express.mjs.
//
//   node bench/callgrind.mjs [--routes none,handoff,ours] [--requests 2000] [--warmup 3000] [--rounds 2]
//     [--kind reused|distinct]
//     [--top 0]  (also print the N functions whose count differs most from the no-auth route's)
//     [--base DIR]  (another build of this package, e.g. the parent commit's, as the route `base`)
//
// Needs `valgrind` (Debian: apt-get install valgrind). One server process holds
// every route (helpers/server.mjs; `none`, the baseline, is always one); each
// cell zeroes the counters, sends --requests requests (8 connections), and
// dumps them. --kind reused (the default): one token for every request, so our
// cache answers. --kind distinct: every request carries a valid token its
// route has not seen before (a pool of warmup + rounds × requests tokens, each
// route walking it in order), so every request checks a signature; add the
// `floor` route (node:crypto's signature check alone) to compare with.
// Signature checks are kept on the main thread
// (MCP_AUTH_RS_SIGNATURE_CHECKS=inline), the thread counted.
// Reported: the server's main thread (JavaScript, the addon, V8's runtime and
// garbage collector) per request, median over rounds, and each route's
// difference from the no-auth route.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../__test__/helpers/keys.mjs';
import { SERVER, median, today, commandLine } from './helpers/common.mjs';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: 'none,handoff,ours' },
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '2' },
    top: { type: 'string', default: '0' },
    kind: { type: 'string', default: 'reused' },
    base: { type: 'string' },
  },
});
const ROUTES = ['none', ...values.routes.split(',').filter((r) => r && r !== 'none'), ...(values.base ? ['base'] : [])];
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const KIND = values.kind;
if (!['reused', 'distinct'].includes(KIND)) throw new Error(`--kind must be reused or distinct, not ${KIND}`);
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
}

const RESOURCE = 'http://127.0.0.1:3001/mcp';
const key = generateKey('RS256', { kid: 'bench' });
const as = await startAuthServer({ keys: [key] });
const dir = mkdtempSync(path.join(os.tmpdir(), 'callgrind-'));
const serverArgs = JSON.stringify({ issuer: as.issuer, type: 'oidc', resource: RESOURCE, impls: ROUTES, discovery: 'resolved', ...(values.base ? { base: path.resolve(values.base) } : {}) });
// Instrumentation starts off (a fast warm-up) and is switched on before the first cell.
const child = spawn('valgrind', [
  '--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', '--separate-threads=yes', '--dump-instr=no',
  `--callgrind-out-file=${dir}/cg.%p`, process.execPath, SERVER, serverArgs,
], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, MCP_AUTH_RS_SIGNATURE_CHECKS: 'inline' } });
let stderr = '';
child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
const port = await new Promise((resolve, reject) => {
  child.on('message', (m) => m?.ready && resolve(m.ready));
  child.on('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
});
const control = (...args) => execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'pipe' });

const sign = (jti) => 'Bearer ' + signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600, jti }), key);
const tokens = KIND === 'reused' ? [sign('reused')] : Array.from({ length: WARMUP + ROUNDS * REQUESTS }, (_, i) => sign(`t${i}`));
// Each route's next token, kept across cells: a distinct token comes back only after the whole pool.
const cursors = new Map();
const load = async (route, amount) => {
  const requests = [{
    method: 'GET',
    path: `/${route}`,
    setupRequest(req) {
      const i = cursors.get(route) ?? 0;
      cursors.set(route, i + 1);
      req.headers = { ...req.headers, authorization: tokens[i % tokens.length] };
      return req;
    },
  }];
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 8, amount, timeout: 60, requests });
  if (result.non2xx || result.errors || result.timeouts) throw new Error(`${route}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total;
};
for (const route of ROUTES) await load(route, WARMUP);
control('-i', 'on');
const served = {};
let cellNo = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const route of round % 2 ? [...ROUTES].reverse() : ROUTES) {
    control('-z');
    const total = await load(route, REQUESTS);
    control('-d', `${route}#${++cellNo}`);
    served[cellNo] = total;
  }
}
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
await as.close();

// Each dump is one file per thread; the main thread is thread 1.
const cells = [];
for (const file of readdirSync(dir)) {
  const text = readFileSync(path.join(dir, file), 'utf8');
  const trigger = text.match(/^desc: Trigger: (?:Client Request: )?(?:dump )?(\S+)#(\d+)$/m);
  if (!trigger || !/^thread: 1$/m.test(text)) continue;
  const total = Number(text.match(/^totals: (\d+)/m)?.[1] ?? NaN);
  cells.push({ route: trigger[1], cell: Number(trigger[2]), file: path.join(dir, file), perRequest: total / served[trigger[2]] });
}
const perRoute = Object.fromEntries(ROUTES.map((r) => [r, median(cells.filter((c) => c.route === r).map((c) => c.perRequest))]));

console.log(`callgrind: ${today()}, \`${commandLine()}\`, node ${process.version}, express 5, RS256, ${KIND === 'reused' ? 'one reused token' : 'a distinct token per request'}; ` +
  `${ROUNDS} interleaved rounds × ${REQUESTS} requests per cell after ${values.warmup} per route; the server's main thread`);
console.log('');
const floor = ROUTES.includes('floor') ? perRoute.floor - perRoute.none : undefined;
console.log(`| route | instructions per request (median) | above no auth |${floor ? ' ÷ floor |' : ''}`);
console.log(`|---|---:|---:|${floor ? '---:|' : ''}`);
for (const route of ROUTES) {
  const above = route === 'none' ? '—' : `${((perRoute[route] - perRoute.none) / 1000).toFixed(1)}k`;
  const ratio = !floor ? '' : route === 'none' ? ' — |' : ` ${((perRoute[route] - perRoute.none) / floor).toFixed(2)}× |`;
  console.log(`| ${route} | ${(perRoute[route] / 1000).toFixed(1)}k | ${above} |${ratio}`);
}

const top = Number(values.top);
if (top > 0) {
  // Self cost per function from callgrind_annotate, summed over a route's cells.
  const functions = (route) => {
    const sums = new Map();
    const mine = cells.filter((c) => c.route === route);
    for (const c of mine) {
      const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', c.file], { encoding: 'utf8', maxBuffer: 1 << 28 });
      for (const line of text.split('\n')) {
        const m = line.match(/^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$/);
        if (!m || m[2].startsWith('PROGRAM TOTALS') || m[2].startsWith('file:function')) continue;
        sums.set(m[2], (sums.get(m[2]) ?? 0) + Number(m[1].replaceAll(',', '')) / served[c.cell]);
      }
    }
    for (const [name, v] of sums) sums.set(name, v / mine.length);
    return sums;
  };
  const base = functions('none');
  for (const route of ROUTES.filter((r) => r !== 'none')) {
    const sums = functions(route);
    const names = new Set([...sums.keys(), ...base.keys()]);
    const diff = [...names].map((n) => [n, (sums.get(n) ?? 0) - (base.get(n) ?? 0)]).sort((a, b) => b[1] - a[1]).slice(0, top);
    console.log('');
    console.log(`${route}: the ${top} functions whose self count per request grew most over no auth`);
    for (const [name, v] of diff) console.log(`  ${v.toFixed(0).padStart(7)}  ${name.slice(0, 140)}`);
  }
}
rmSync(dir, { recursive: true, force: true });
