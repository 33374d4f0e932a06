// One process of a fleet (__test__/introspection-fleet.test.mjs and the
// fleet-* tests): an Express resource server in 'introspection' mode whose
// cache is shared on Redis. Prints `{"port":…}` once listening; GET /events
// lists its auth events, GET /heap its heap after a full gc (with --expose-gc).
// An optional third argument (JSON) overrides the fleet secret, the store's
// deadline, the local cache size, the routes (path, resource, claim options)
// and `storeEventsOnly` (keep only store_* events: a long run stays flat);
// `client: 'native'` uses the addon's own Redis client (`redisStore(url)`)
// instead of node-redis, with the same key prefix.

import express from 'express';
import { createClient } from 'redis';
import { MCPAuth, redisStore } from 'mcp-auth-rs';
import { RESOURCE } from './introspection-server.mjs';

export const FLEET_SECRET = 'fleet-secret-for-tests-0123456789abcdef';

const [redisUrl, issuer, json] = process.argv.slice(2);
const {
  secret = FLEET_SECRET,
  storeTimeout = 200,
  cacheSize,
  storeEventsOnly = false,
  routes = [{ path: '/mcp' }],
  client: clientKind = 'node-redis',
} = json ? JSON.parse(json) : {};
let store;
if (clientKind === 'native') {
  store = redisStore(redisUrl, { prefix: 'fleet:', responseTimeout: Math.max(1, storeTimeout - 50), reconnectMaxDelay: 200 });
} else {
  const client = createClient({ url: redisUrl, socket: { reconnectStrategy: () => 100, connectTimeout: 500 } });
  client.on('error', () => {}); // an outage is the test's subject; the store reports it
  await client.connect();
  store = redisStore(client, { prefix: 'fleet:' });
}

const resources = [...new Set(routes.map((route) => route.resource ?? RESOURCE))];
const events = [];
const mcpAuth = new MCPAuth({
  protectedResources: resources.map((resource) => ({ metadata: { resource, authorizationServers: [{ issuer, type: 'oauth' }] } })),
  onAuthEvent: (event) => {
    if (!storeEventsOnly || event.type.startsWith('store_')) events.push(event);
  },
});
const app = express();
app.get('/events', (_req, res) => res.json(events));
app.get('/heap', (_req, res) => {
  globalThis.gc();
  globalThis.gc();
  res.json({ heapUsed: process.memoryUsage().heapUsed });
});
for (const { path, resource = RESOURCE, ...claimOptions } of routes) {
  app.get(
    path,
    mcpAuth.bearerAuth('introspection', {
      resource,
      ...claimOptions,
      introspection: {
        clientId: 'rs',
        clientSecret: 's3cret',
        store,
        storeSecret: secret,
        storeTimeout,
        ...(cacheSize === undefined ? {} : { cacheSize }),
      },
    }),
    (req, res) => res.json({ sub: req.auth.subject, scopes: req.auth.scopes }),
  );
}
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
