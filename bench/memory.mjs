// Memory: RSS of a Node process with our package loaded, and whether it stays
// bounded while a million distinct valid tokens go through one verifier with
// its default verified-token cache (4096 entries).
//
//   node bench/memory.mjs [--tokens 1000000] [--batch 10000] [--load-rounds 3] [--tolerance-mib 8]
//
// Every measurement is taken in a child process started with --expose-gc,
// after full collections, so the numbers are the process's own, not this
// driver's. Two parts:
// 1. Load footprint, in --load-rounds fresh processes (medians): node alone,
//    after require('mcp-auth-rs/native') (the addon), after import('mcp-auth-rs')
//    (the whole package); for reference, node alone then import('mcp-auth')
//    (0.2, with jose) in a separate fresh process.
// 2. Cache bound: one process loads the package, builds
//    `new Verifier({ issuers: [{ issuer, jwksUri }], audiences: [aud] })`,
//    awaits verify() of a first token (keys fetched from a local JWKS server),
//    then calls verifySync() on --tokens distinct EdDSA tokens (EdDSA: the
//    cheapest to sign). This process signs them in batches while the child
//    verifies the previous batch (both cores busy, no token kept after its
//    batch); memory is read at 0, 10 %, 25 %, 50 % and 100 % of the tokens.
//    That child runs with small V8 semi-spaces (CACHE_FLAGS below) so the
//    harness's garbage does not swamp the addon's memory.
//    The verdict: from 25 % to 100 %, neither RSS nor RSS outside the V8 heap
//    (RSS − heapTotal; the addon's allocations live there) grows by more than
//    --tolerance-mib (a leak of 10 bytes per token would add 7 MiB over
//    750,000 tokens; the bytes-per-token slopes are printed too).
//    A control process with the cache off (tokenCacheSize: 0) takes the first
//    10 % of the tokens: on − off is what the cache's entries cost.
//    Takes about 1.5–2 minutes on 2 cores (signing is the larger half).
import crypto from 'node:crypto';
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    'load-rounds': { type: 'string', default: '3' },
    'tolerance-mib': { type: 'string', default: '8' },
    // Internal: what a child process does.
    role: { type: 'string' },
    config: { type: 'string' },
  },
});

const MiB = 1024 * 1024;
// The token strings streamed to the verifier are JS garbage; with the default
// 16 MiB semi-spaces V8's young generation alone takes up to ~48 MiB of RSS as
// it warms up, which would drown the addon's memory. Small semi-spaces keep
// the V8 heap small and steady (more, cheaper scavenges).
const CACHE_FLAGS = ['--max-semi-space-size=1'];

async function memory() {
  globalThis.gc();
  await yieldToLoop();
  globalThis.gc();
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external };
}

if (values.role) await child(values.role, values.config && JSON.parse(values.config));
else await driver();

// ---- child: measures itself ---------------------------------------------------

async function child(role, config) {
  if (typeof globalThis.gc !== 'function') throw new Error('run the memory child with --expose-gc');
  const steps = [{ step: 'baseline', ...(await memory()) }];
  if (role === 'load-mcp-auth') {
    await import('mcp-auth');
    steps.push({ step: 'mcp-auth', ...(await memory()) });
    process.send({ ready: { steps } });
    return void process.on('disconnect', () => process.exit(0));
  }
  const native = createRequire(import.meta.url)('mcp-auth-rs/native');
  steps.push({ step: 'addon', ...(await memory()) });
  await import('mcp-auth-rs');
  steps.push({ step: 'package', ...(await memory()) });
  if (role === 'load-ours') {
    process.send({ ready: { steps } });
    return void process.on('disconnect', () => process.exit(0));
  }

  // role 'cache'
  const verifier = new native.Verifier({
    issuers: [{ issuer: config.issuer, jwksUri: config.jwksUri }],
    audiences: [config.audience],
    ...(config.tokenCacheSize === undefined ? {} : { tokenCacheSize: config.tokenCacheSize }),
  });
  await verifier.verify(config.first);
  steps.push({ step: 'verifier', ...(await memory()) });
  let verified = 0;
  let failed = 0;
  let firstError;
  let verifyNs = 0n;
  process.on('message', async ({ batch, checkpoint }) => {
    const start = process.hrtime.bigint();
    for (const token of batch) {
      try {
        verifier.verifySync(token);
        verified++;
      } catch (error) {
        failed++;
        firstError ??= `${error.code}: ${error.message}`;
      }
    }
    verifyNs += process.hrtime.bigint() - start;
    const done = verified + failed;
    const mem = checkpoint ? await memory() : undefined;
    process.send({ done, verified, failed, firstError, verifyNs: Number(verifyNs), mem });
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: { steps } });
}

// ---- driver ---------------------------------------------------------------------

async function driver() {
  const { startAuthServer } = await import('../__test__/helpers/auth-server.mjs');
  const { generateKey, signJwt, claims } = await import('../__test__/helpers/keys.mjs');
  const { startChild, median, fixed, today, commandLine } = await import('./helpers/common.mjs');
  const self = fileURLToPath(import.meta.url);
  const TOKENS = Number(values.tokens);
  const BATCH = Number(values.batch);
  const TOLERANCE = Number(values['tolerance-mib']);
  const spawn = (role, config, extraFlags = []) =>
    startChild(self, ['--role', role, ...(config ? ['--config', JSON.stringify(config)] : [])], {
      execArgv: ['--expose-gc', ...extraFlags],
      timeoutMs: 60_000,
    });
  const mib = (bytes) => fixed(bytes / MiB, 1);
  const signed = (bytes) => `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;

  // Part 1: load footprint.
  const loads = { ours: [], theirs: [] };
  for (let r = 0; r < Number(values['load-rounds']); r++) {
    for (const [role, list] of [['load-ours', loads.ours], ['load-mcp-auth', loads.theirs]]) {
      const c = await spawn(role);
      list.push(Object.fromEntries(c.ready.steps.map((s) => [s.step, s])));
      await c.stop();
    }
  }
  const med = (list, step, field) => median(list.map((l) => l[step][field]));
  const loadRows = [
    ['node alone (baseline)', loads.ours, 'baseline', null],
    ["+ require('mcp-auth-rs/native') (addon)", loads.ours, 'addon', 'baseline'],
    ["+ import('mcp-auth-rs') (whole package)", loads.ours, 'package', 'baseline'],
    ['reference, fresh process: node alone', loads.theirs, 'baseline', null],
    ["reference: + import('mcp-auth') 0.2", loads.theirs, 'mcp-auth', 'baseline'],
  ];

  // Part 2: a million distinct tokens through one verifier.
  const AUDIENCE = 'http://127.0.0.1:3001/mcp';
  const key = generateKey('EdDSA', { kid: 'mem' });
  const as = await startAuthServer({ keys: [key] });
  const first = signJwt(claims({ issuer: as.issuer, audience: AUDIENCE, scope: 'mcp:read', ttl: 3600 }), key);

  // Same shape as keys.mjs's claims(), built from a template: signing dominates anyway.
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'mem' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payloadHead = `{"iss":${JSON.stringify(as.issuer)},"sub":"user-1","aud":${JSON.stringify(AUDIENCE)},"exp":${now + 3600},"iat":${now},"jti":"`;
  const payloadTail = '","client_id":"client-1","scope":"mcp:read"}';
  const signOne = (jti) => {
    const input = `${header}.${Buffer.from(payloadHead + jti + payloadTail).toString('base64url')}`;
    return `${input}.${crypto.sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
  };
  async function makeBatch(tag, from, size) {
    const batch = new Array(size);
    for (let i = 0; i < size; i++) {
      batch[i] = signOne(`${tag}${from + i}`);
      if (i % 500 === 499) await yieldToLoop(); // let the previous batch's IPC write drain
    }
    return batch;
  }

  // Streams `total` fresh tokens through a new child's verifier; RSS at `checkpoints`.
  async function run(tag, total, checkpoints, options = {}) {
    const jwksBefore = as.hitCount(as.paths.jwks);
    const c = await spawn('cache', { issuer: as.issuer, jwksUri: as.jwksUri, audience: AUDIENCE, first, ...options }, CACHE_FLAGS);
    const points = [{ tokens: 0, ...c.ready.steps.find((s) => s.step === 'verifier') }];
    const start = performance.now();
    let inflight = null;
    let last;
    const settle = async () => {
      if (!inflight) return;
      last = await inflight;
      if (last.mem) points.push({ tokens: last.done, ...last.mem });
      if (last.done % (BATCH * 20) === 0 || last.mem) {
        const rate = last.done / ((performance.now() - start) / 1000);
        console.error(`  ${tag}: ${last.done.toLocaleString('en-US')} tokens, ${fixed(rate / 1000)}k/s` +
          (last.mem ? `, RSS ${mib(last.mem.rss)} MiB` : ''));
      }
    };
    for (let from = 0; from < total; from += BATCH) {
      const size = Math.min(BATCH, total - from);
      const batch = await makeBatch(tag, from, size);
      await settle();
      const expected = from + size;
      inflight = c.request({ batch, checkpoint: checkpoints.includes(expected) }, (m) => m?.done === expected);
    }
    await settle();
    const seconds = (performance.now() - start) / 1000;
    await c.stop();
    return { points, last, seconds, jwks: as.hitCount(as.paths.jwks) - jwksBefore };
  }

  const checkpoints = [...new Set([0.1, 0.25, 0.5, 1].map((f) => Math.max(BATCH, Math.round((TOKENS * f) / BATCH) * BATCH)))];
  checkpoints[checkpoints.length - 1] = TOKENS;
  // Control: the same harness with the cache off, up to the first checkpoint, to
  // tell what the cache's entries cost from what this harness's traffic costs.
  const control = await run('control', checkpoints[0], [checkpoints[0]], { tokenCacheSize: 0 });
  const main = await run('cache', TOKENS, checkpoints);
  await as.close();

  const cpuInfo = `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}`;
  console.log(`memory: ${today()}, \`${commandLine()}\`, node ${process.version}, ${os.platform()} ${os.arch()}, ${cpuInfo}; ` +
    'memory read after full GCs, in child processes (--expose-gc)');
  console.log('');
  console.log(`Load footprint (median of ${loads.ours.length} fresh processes each):`);
  console.log('');
  console.log('| process state | RSS MiB | Δ RSS vs node alone, MiB | JS heap used MiB | external MiB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [label, list, step, base] of loadRows) {
    console.log(`| ${[
      label,
      mib(med(list, step, 'rss')),
      base ? signed(median(list.map((l) => l[step].rss - l[base].rss))) : '—',
      mib(med(list, step, 'heapUsed')),
      mib(med(list, step, 'external')),
    ].join(' | ')} |`);
  }
  const oursDelta = median(loads.ours.map((l) => l.package.rss - l.baseline.rss));
  const theirsDelta = median(loads.theirs.map((l) => l['mcp-auth'].rss - l.baseline.rss));
  console.log('');
  console.log(`- loading our whole package adds ${fixed(oursDelta / theirsDelta, 2)}× the RSS that loading mcp-auth 0.2 adds`);
  console.log('');

  const { points, last } = main;
  const outside = (p) => p.rss - p.heapTotal;
  console.log(`${TOKENS.toLocaleString('en-US')} distinct valid EdDSA tokens through one Verifier with the default cache (4096 entries), ` +
    `verifySync(), in ${fixed(main.seconds, 0)} s (${fixed(last.verifyNs / 1e3 / last.done, 1)} µs per verification in the child). ` +
    '"Outside the V8 heap" = RSS − V8 heap committed (heapTotal): the addon\'s memory, node\'s own and buffers.');
  console.log('');
  console.log('| tokens verified | RSS MiB | Δ RSS vs 0 tokens, MiB | V8 heap committed MiB | JS heap used MiB | outside the V8 heap MiB | Δ outside vs 0 tokens, MiB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  const row = (label, p, p0) => console.log(`| ${[
    label, mib(p.rss), signed(p.rss - p0.rss), mib(p.heapTotal), mib(p.heapUsed), mib(outside(p)), signed(outside(p) - outside(p0)),
  ].join(' | ')} |`);
  for (const p of points) row(p.tokens === 0 ? '0 (verifier ready, first token verified)' : p.tokens.toLocaleString('en-US'), p, points[0]);
  const [c0, c1] = control.points;
  row(`control, cache off: ${c1.tokens.toLocaleString('en-US')}`, c1, c0);
  console.log('');

  const at = (n) => points.find((p) => p.tokens === n);
  const fill = at(checkpoints[0]);
  const cacheCost = outside(fill) - outside(points[0]) - (outside(c1) - outside(c0));
  const from = at(checkpoints[checkpoints.length > 2 ? 1 : 0]);
  const to = points[points.length - 1];
  const growth = to.rss - from.rss;
  const nativeGrowth = outside(to) - outside(from);
  const okAll = last.verified === TOKENS && last.failed === 0 && control.last.failed === 0;
  console.log(`- ${okAll ? 'all' : 'NOT all'} tokens verified` +
    (okAll ? '' : ` (${last.failed} failed, first: ${last.firstError ?? control.last.firstError})`) +
    `; JWKS fetched once per process: ${main.jwks === 1 && control.jwks === 1 ? 'yes' : `NO (${main.jwks}, ${control.jwks})`}`);
  console.log(`- the cache's 4096 entries: about ${signed(cacheCost)} MiB outside the V8 heap ` +
    `(${fmtBytes(cacheCost / 4096)} per entry), from the first ${fill.tokens.toLocaleString('en-US')} tokens with the cache on vs off`);
  const bounded = growth <= TOLERANCE * MiB;
  const nativeBounded = nativeGrowth <= TOLERANCE * MiB;
  const span = `from ${from.tokens.toLocaleString('en-US')} to ${to.tokens.toLocaleString('en-US')} tokens`;
  const rate = (bytes) => `${(bytes < 0 ? '−' : '+') + fixed(Math.abs(bytes) / (to.tokens - from.tokens), 2)} bytes/token`;
  console.log(`- verdict: ${bounded && nativeBounded ? 'BOUNDED, RSS plateaus' : bounded || nativeBounded ? 'UNCLEAR' : 'NOT BOUNDED, RSS keeps growing'}: ` +
    `RSS ${signed(growth)} MiB ${span} (${rate(growth)}), outside the V8 heap ${signed(nativeGrowth)} MiB (${rate(nativeGrowth)}); ` +
    `tolerance ${TOLERANCE} MiB each`);
  if (!(bounded && nativeBounded) || !okAll) process.exitCode = 1;
}

function fmtBytes(bytes) {
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${Math.round(bytes)} bytes`;
}
