// Does each request object of a Node HTTP server (plain node:http, and
// Express 5 and 4 on top) get a V8 hidden class (map) of its own? When it does,
// adding a property such as `req.auth` cannot follow a cached transition:
// V8 copies the map and its descriptors in its runtime, on every request.
// That is part of the hand-off floor in bench/express.mjs and
// bench/callgrind.mjs (bench/README.md, "Item 7, sixth session").
//
//   node --allow-natives-syntax bench/request-maps.mjs [--requests 30]
//
// Prints, per server, how many consecutive request pairs shared a map before
// and after `req.auth = …`, and the same for objects built by the
// IncomingMessage constructor directly (the control: those do share one).
import http from 'node:http';
import { parseArgs } from 'node:util';
import express from 'express';
import express4 from 'express4';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '30' } } });
const REQUESTS = Number(values.requests);
if (!Number.isInteger(REQUESTS) || REQUESTS < 2 || REQUESTS > 10_000) throw new Error('--requests must be an integer from 2 to 10000');

// `%HaveSameMap` is V8 syntax, not JavaScript: compiled only under the flag.
let haveSameMap;
try {
  haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);');
} catch {
  console.error('run with: node --allow-natives-syntax bench/request-maps.mjs');
  process.exit(2);
}

/** Starts `app` on 127.0.0.1, sends REQUESTS sequential GETs, and counts shared maps. */
async function measure(name, listener) {
  const seen = { before: [], after: [] };
  const server = http.createServer(listener(seen));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  for (let i = 0; i < REQUESTS; i += 1) await (await fetch(`http://127.0.0.1:${port}/x`)).text();
  await new Promise((resolve) => server.close(resolve));
  const shared = (list) => list.slice(1).filter((req, i) => haveSameMap(list[i], req)).length;
  console.log(`${name}: ${shared(seen.before)} of ${REQUESTS - 1} consecutive requests shared a map before req.auth was set, ${shared(seen.after)} after`);
}

// The handler keeps each request object, then sets `auth` as a gate does.
const record = (seen) => (req, res) => {
  seen.before.push(req);
  req.auth = { subject: 'user-1' };
  seen.after.push(req);
  res.end('ok');
};

await measure('node:http', (seen) => record(seen));
for (const [name, framework] of [['express 5', express], ['express 4', express4]]) {
  await measure(name, (seen) => {
    const app = framework();
    app.get('/x', record(seen));
    return app;
  });
}

const built = Array.from({ length: REQUESTS }, () => new http.IncomingMessage(null));
const sharedBuilt = built.slice(1).filter((req, i) => haveSameMap(built[i], req)).length;
console.log(`new IncomingMessage(null): ${sharedBuilt} of ${REQUESTS - 1} consecutive objects shared a map (the control)`);
