#!/usr/bin/env node
// Load test (issue 5, part 3): 10,000 requests mixing valid, expired and
// garbage tokens against bearerAuth('jwt') on an Express route served by a
// CHILD process (so a crash is observed, not just suffered), while the
// authorization server's JWKS rotates mid-run and later goes down for a while.
//
//   npm run load-test [-- --requests 10000 --concurrency 32]
//
// Expected answers: valid -> 200; expired and garbage -> 401 invalid_token;
// never a 5xx (the JWKS outage is covered by the last good keys). Prints the
// counts per category and exits non-zero on any wrong answer or child crash.
// Everything listens on 127.0.0.1. Not part of `npm test`.

import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const RESOURCE = 'https://mcp.example.com/mcp';
const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') await child(process.argv[3]);
else await parent();

// ---------------------------------------------------------------- the server under test

async function child(issuer) {
  const { default: express } = await import('express');
  const { MCPAuth, fetchServerConfig } = await import('mcp-auth-rs');
  const mcpAuth = new MCPAuth({
    protectedResources: {
      metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(issuer, { type: 'oauth' })], scopesSupported: ['mcp:read'] },
    },
  });
  const app = express();
  app.get('/mcp', mcpAuth.bearerAuth('jwt', {
    resource: RESOURCE,
    // Short so the run exercises background refreshes, unknown-kid refetches and the cooldown.
    remoteJwkSet: { cacheMaxAge: 1000, cooldownDuration: 250, timeoutDuration: 1000 },
  }), (req, res) => res.json({ sub: req.auth.subject }));
  const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port, rss: process.memoryUsage().rss }));
  process.on('message', (message) => {
    if (message === 'stats') process.send({ type: 'stats', rss: process.memoryUsage().rss });
    if (message === 'exit') server.close(() => process.exit(0));
  });
}

// ---------------------------------------------------------------- the driver

async function parent() {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '32' } } });
  const total = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const { generateKey, signJwt, claims, unsecuredJwt, hs256, b64url, nowSeconds } = await import('../__test__/helpers/keys.mjs');
  const { startAuthServer } = await import('../__test__/helpers/auth-server.mjs');

  const keyA = generateKey('RS256', { kid: 'key-A' });
  const keyB = generateKey('ES256', { kid: 'key-B' });
  const attacker = generateKey('ES256', { kid: 'key-A' }); // reuses the real kid
  const as = await startAuthServer({ keys: [keyA] });

  // When did the AS finish serving a JWKS that holds key B?
  let servedWithB = 0;
  as.server.on('request', (req, res) => {
    if (!req.url.startsWith('/jwks')) return;
    const holdsB = publishedKids().includes('key-B');
    res.on('finish', () => { if (holdsB && res.statusCode === 200) servedWithB = Date.now(); });
  });
  let published = ['key-A'];
  const publishedKids = () => published;
  const setKeys = (keys) => { published = keys.map((k) => k.kid); as.setKeys(keys); };

  // ---- the child
  const server = fork(SELF, ['--child', as.issuer], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let crashes = 0;
  let finished = false;
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => {
    if (!finished) crashes++;
    resolve({ code, signal });
  }));
  const ready = await Promise.race([
    new Promise((resolve) => server.on('message', (m) => m.type === 'ready' && resolve(m))),
    exited.then(() => null),
  ]);
  if (!ready) {
    console.error('the server process died before it was ready');
    process.exit(1);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  // ---- tokens
  let signer = keyA;
  const valid = () => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'mcp:read' }), signer);
  const expired = () => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, now: nowSeconds() - 600, ttl: 60 }), signer);
  const garbageKinds = [
    () => b64url(crypto.randomBytes(20 + crypto.randomInt(200))), // one segment
    () => [0, 1, 2].map(() => b64url(crypto.randomBytes(1 + crypto.randomInt(60)))).join('.'), // three random segments
    () => `${valid().slice(0, -8)}AAAAAAAA`, // tampered signature
    () => { const [h, , s] = valid().split('.'); return `${h}.${b64url(JSON.stringify({ iss: as.issuer, aud: RESOURCE, sub: 'admin', exp: nowSeconds() + 300 }))}.${s}`; },
    () => signJwt(claims({ issuer: as.issuer, audience: RESOURCE }), attacker), // attacker key, real kid
    () => signJwt(claims({ issuer: as.issuer, audience: RESOURCE }), attacker, { kid: crypto.randomUUID() }), // unknown kid: refetch, rate-limited
    () => unsecuredJwt(claims({ issuer: as.issuer, audience: RESOURCE })),
    () => hs256({ alg: 'HS256', kid: 'key-A' }, claims({ issuer: as.issuer, audience: RESOURCE }), keyA.publicPem),
    () => signJwt(claims({ issuer: as.issuer, audience: 'https://other.example/mcp' }), signer), // wrong audience
    () => signJwt(claims({ issuer: 'https://evil.example', audience: RESOURCE }), signer), // untrusted issuer
    () => valid().split('.').slice(0, 2).join('.'), // no signature
    () => 'x'.repeat(9000), // over the 8 KiB cap
  ];
  const garbage = () => garbageKinds[crypto.randomInt(garbageKinds.length)]();
  const categories = { valid: { make: valid, expect: 200 }, expired: { make: expired, expect: 401 }, garbage: { make: garbage, expect: 401 } };
  const pick = () => { const r = Math.random(); return r < 0.5 ? 'valid' : r < 0.7 ? 'expired' : 'garbage'; };

  // ---- schedule: rotation mid-run, then an outage the last good keys must cover
  const at = (fraction) => Math.floor(total * fraction);
  let hitsAtOutage = 0;
  const events = [];
  const log = (what) => events.push(`${String(Date.now() - startedAt).padStart(6)} ms  #${String(sent).padStart(5)}  ${what}`);
  const phases = [
    { index: at(0.3), run: () => { setKeys([keyA, keyB]); log('key B published next to key A'); } },
    { index: at(0.3), run: async () => {
      // Switch signing once the server has been able to see key B (a background
      // refresh or an unknown-kid refetch has fetched the set that holds it).
      const since = Date.now();
      while (servedWithB === 0) await sleep(10);
      await sleep(20);
      signer = keyB;
      log(`signing with key B (set holding B served ${servedWithB - since} ms after publication)`);
    } },
    { index: at(0.45), run: () => { setKeys([keyB]); log('key A removed'); } },
    { index: at(0.65), run: () => { hitsAtOutage = as.hitCount('/jwks'); as.setFault(as.paths.jwks, 'down'); log('JWKS down (connection reset)'); } },
    { index: at(0.8), run: () => { as.clearFaults(); log(`JWKS back (${as.hitCount('/jwks') - hitsAtOutage} fetches refused during the outage)`); } },
  ];

  const counts = Object.fromEntries(Object.keys(categories).map((name) => [name, { sent: 0, right: 0, wrong: 0, statuses: {} }]));
  const wrongAnswers = [];
  let sent = 0;
  let transportErrors = 0;
  const startedAt = Date.now();

  async function one() {
    const category = pick();
    const token = categories[category].make();
    const res = await get(ready.port, agent, token).catch((error) => ({ status: 0, error }));
    const c = counts[category];
    c.sent++;
    c.statuses[res.status] = (c.statuses[res.status] ?? 0) + 1;
    let right = res.status === categories[category].expect;
    if (right && res.status === 401) right = /error="invalid_token"/.test(res.challenge ?? '');
    if (res.status === 0) transportErrors++;
    if (right) c.right++;
    else {
      c.wrong++;
      if (wrongAnswers.length < 20) {
        wrongAnswers.push({ category, status: res.status, at: Date.now() - startedAt, request: sent, body: res.body?.slice(0, 160) ?? String(res.error) });
      }
    }
  }

  // One phase at a time, in order; traffic keeps flowing while a phase waits
  // (background refreshes are triggered by requests).
  let phaseRunning = false;
  const workers = Array.from({ length: concurrency }, async () => {
    while (sent < total && crashes === 0) {
      if (!phaseRunning && phases.length > 0 && sent >= phases[0].index) {
        phaseRunning = true;
        const phase = phases.shift();
        Promise.resolve(phase.run()).finally(() => { phaseRunning = false; });
      }
      sent++;
      await one();
    }
  });
  await Promise.all(workers);
  const elapsed = Date.now() - startedAt;

  let stats = null;
  if (server.connected) {
    server.send('stats');
    stats = await Promise.race([new Promise((resolve) => server.on('message', (m) => m.type === 'stats' && resolve(m))), exited.then(() => null)]);
  }
  finished = true;
  if (stats && server.connected) server.send('exit');
  await Promise.race([exited, sleep(2000)]);
  agent.destroy();
  await as.close();

  // ---- report
  const wrong = Object.values(counts).reduce((n, c) => n + c.wrong, 0);
  console.log(`load test: ${sent} requests, concurrency ${concurrency}, ${elapsed} ms (${Math.round((sent / elapsed) * 1000)} req/s), server in child pid ${server.pid}`);
  console.log(`JWKS requests served: ${as.hitCount('/jwks')}; discovery: ${as.hitCount(as.paths.oauth)}`);
  for (const line of events) console.log(`  ${line}`);
  console.log('category   sent   right  wrong  statuses');
  for (const [name, c] of Object.entries(counts)) {
    console.log(`${name.padEnd(9)} ${String(c.sent).padStart(5)}  ${String(c.right).padStart(6)}  ${String(c.wrong).padStart(5)}  ${JSON.stringify(c.statuses)}`);
  }
  const fiveXx = Object.values(counts).reduce((n, c) => n + Object.entries(c.statuses).filter(([s]) => s >= 500).reduce((m, [, k]) => m + k, 0), 0);
  if (crashes > 0) {
    const { code, signal } = await exited;
    console.log(`THE SERVER PROCESS DIED (exit code ${code}, signal ${signal}); stopped after ${sent} of ${total} requests`);
  }
  console.log(`wrong answers: ${wrong}; 5xx: ${fiveXx}; transport errors: ${transportErrors}; child-process crashes: ${crashes}`);
  if (stats) console.log(`child RSS: ${(ready.rss / 2 ** 20).toFixed(1)} MiB at start, ${(stats.rss / 2 ** 20).toFixed(1)} MiB at the end`);
  for (const w of wrongAnswers) console.log(`  wrong: ${JSON.stringify(w)}`);
  process.exitCode = wrong > 0 || crashes > 0 ? 1 : 0;
}

function get(port, agent, token) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/mcp', agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'], body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
