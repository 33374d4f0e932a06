// One process of a two-process fleet (__test__/dpop-fleet.test.mjs): an
// Express resource server whose DPoP replay cache is shared on Redis, with
// one resource under 'required' and one under 'allowed'. Prints
// `{"port":…}` once listening; GET /events lists its auth events.

import express from 'express';
import { createClient } from 'redis';
import { MCPAuth, redisStore } from 'mcp-auth-rs';

const [redisUrl, issuer, origin] = process.argv.slice(2);
const client = createClient({ url: redisUrl, socket: { reconnectStrategy: () => 100, connectTimeout: 500 } });
client.on('error', () => {}); // an outage is the test's subject; the store reports it
await client.connect();

const store = redisStore(client, { prefix: 'fleet:' });
const authorizationServers = [{ issuer, type: 'oidc' }];
const events = [];
const mcpAuth = new MCPAuth({
  protectedResources: [
    { metadata: { resource: `${origin}/required`, authorizationServers }, dpop: { mode: 'required', store, storeTimeout: 200 } },
    { metadata: { resource: `${origin}/allowed`, authorizationServers }, dpop: { store, storeTimeout: 200 } },
  ],
  onAuthEvent: (event) => events.push(event),
});
const app = express();
app.get('/events', (_req, res) => res.json(events));
for (const path of ['/required', '/allowed']) {
  app.get(path, mcpAuth.bearerAuth('jwt', { resource: `${origin}${path}` }), (req, res) => res.json({ sub: req.auth.subject }));
}
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
