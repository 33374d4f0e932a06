// One process of a two-process fleet (__test__/introspection-fleet.test.mjs):
// an Express resource server in 'introspection' mode whose cache is shared on
// Redis. Prints `{"port":…}` once listening; GET /events lists its auth events.

import express from 'express';
import { createClient } from 'redis';
import { MCPAuth, redisStore } from 'mcp-auth-rs';
import { RESOURCE } from './introspection-server.mjs';

const [redisUrl, issuer] = process.argv.slice(2);
const client = createClient({ url: redisUrl, socket: { reconnectStrategy: () => 100, connectTimeout: 500 } });
client.on('error', () => {}); // an outage is the test's subject; the store reports it
await client.connect();

const events = [];
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer, type: 'oauth' }] } },
  onAuthEvent: (event) => events.push(event),
});
const app = express();
app.get('/events', (_req, res) => res.json(events));
app.get(
  '/mcp',
  mcpAuth.bearerAuth('introspection', {
    resource: RESOURCE,
    introspection: { clientId: 'rs', clientSecret: 's3cret', store: redisStore(client, { prefix: 'fleet:' }), storeTimeout: 200 },
  }),
  (req, res) => res.json({ sub: req.auth.subject, scopes: req.auth.scopes }),
);
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
