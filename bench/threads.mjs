// Where a pinned Express server's CPU goes, thread by thread, per route:
// for each cell, every thread's CPU time (user + system, from
// /proc/<pid>/task/*/stat), minor page faults and context switches
// (voluntary: the thread slept, e.g. woken by another; involuntary: it was
// preempted), divided by the requests served. Threads are grouped by name:
// `main` (JavaScript, the addon's calls, V8's runtime), `node` (the other
// threads Node starts: V8's platform workers, which run parallel scavenges,
// concurrent marking and compilation, and libuv's pool), `tokio-rt-worker`
// (the addon's runtime, which fetches key sets).
// Answers "does a cache hit wake a thread of ours?" (bench/README.md, issue 21 item 7).
//
//   node bench/threads.mjs [--routes none,handoff,ours] [--duration 3] [--rounds 2]
//
// Linux only (/proc). The server is pinned to CPU 1 and autocannon to CPU 0,
// as `node bench/express.mjs --pin` runs them; one reused token.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startAuthServer } from '../__test__/helpers/auth-server.mjs';
import { generateKey, signJwt, claims } from '../__test__/helpers/keys.mjs';
import { startServer, today, commandLine } from './helpers/common.mjs';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: 'none,handoff,ours' },
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROUTES = values.routes.split(',');
const DURATION = Number(values.duration);
const ROUNDS = Number(values.rounds);
const RESOURCE = 'http://127.0.0.1:3001/mcp';
// /proc's CPU times are in clock ticks: 100 per second on Linux.
const MICROS_PER_TICK = 1e6 / 100;

const key = generateKey('RS256', { kid: 'bench' });
const as = await startAuthServer({ keys: [key] });
const server = await startServer({ issuer: as.issuer, type: 'oidc', resource: RESOURCE, impls: ROUTES, discovery: 'resolved', cpu: 1 });
execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const authorization = `Bearer ${signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read', ttl: 3600, jti: 'reused' }), key)}`;
const pid = server.child.pid;

function threads() {
  const seen = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the name: state is [0]; minflt [7], utime [11], stime [12].
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const count = (label) => Number(new RegExp(`^${label}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      seen.set(tid, {
        group: tid === String(pid) ? 'main' : name,
        cpu: (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK,
        sys: Number(fields[12]) * MICROS_PER_TICK,
        faults: Number(fields[7]),
        voluntary: count('voluntary_ctxt_switches'),
        involuntary: count('nonvoluntary_ctxt_switches'),
      });
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return seen;
}

console.log(`threads: ${today()}, \`${commandLine()}\`, node ${process.version}, express 5, RS256, one reused token; ` +
  `${ROUNDS} rounds × ${DURATION} s per route, 16 connections; autocannon on CPU 0, the server on CPU 1`);
console.log('');
console.log('| round | route | requests | thread group (threads) | CPU µs/req | of which system | minor faults/req | voluntary switches/req | involuntary/req |');
console.log('|---|---|---:|---|---:|---:|---:|---:|---:|');
for (let round = 1; round <= ROUNDS; round++) {
  for (const route of ROUTES) {
    await server.gc();
    const before = threads();
    const result = await autocannon({ url: server.url, connections: 16, duration: DURATION, requests: [{ method: 'GET', path: `/${route}`, headers: { authorization } }] });
    const after = threads();
    const served = result.requests.total;
    const groups = new Map();
    for (const [tid, now] of after) {
      const then = before.get(tid) ?? { cpu: 0, sys: 0, faults: 0, voluntary: 0, involuntary: 0 };
      const g = groups.get(now.group) ?? { threads: 0, cpu: 0, sys: 0, faults: 0, voluntary: 0, involuntary: 0 };
      g.threads += 1;
      for (const k of ['cpu', 'sys', 'faults', 'voluntary', 'involuntary']) g[k] += now[k] - then[k];
      groups.set(now.group, g);
    }
    for (const [group, g] of groups) {
      if (g.cpu === 0 && g.voluntary === 0 && g.involuntary === 0) continue;
      const per = (x, digits) => (x / served).toFixed(digits);
      console.log(`| ${round} | ${route} | ${served} | ${group} (${g.threads}) | ${per(g.cpu, 1)} | ${per(g.sys, 1)} | ${per(g.faults, 3)} | ${per(g.voluntary, 4)} | ${per(g.involuntary, 4)} |`);
    }
  }
}
await server.stop();
await as.close();
