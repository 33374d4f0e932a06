// The Node process of the mixed fleet (__test__/python-fleet.test.mjs): the
// same three routes as python/tests/fleet_worker.py, with the same options,
// so both processes compute the same record scope. '/mcp' introspects
// (cache shared on Redis), '/dpop' verifies JWTs with its DPoP replay cache
// shared on Redis, '/exchange' trades the caller's token with its results
// shared on Redis (the server typed 'oidc'). Prints `{"port":…}` once listening; GET /events lists
// its auth events.

import express from 'express';
import { MCPAuth, fetchServerConfig, redisStore } from 'mcp-auth-rs';

const [redisUrl, issuer, secret] = process.argv.slice(2);
const RESOURCE = 'https://mcp.example.com/mcp';
const DPOP_RESOURCE = 'https://mcp.example.com/dpop';

// The core's own Redis client, the one the Python package uses.
const store = redisStore(redisUrl, { prefix: 'fleet:' });
// Resolved, as every Python server config is: the endpoint is then part of the record scope on both sides.
const server = await fetchServerConfig(issuer, { type: 'oauth' });
const events = [];
const mcpAuth = new MCPAuth({
  protectedResources: [
    { metadata: { resource: RESOURCE, authorizationServers: [server] } },
    { metadata: { resource: DPOP_RESOURCE, authorizationServers: [server] }, dpop: { store, storeTimeout: 2000 } },
  ],
  onAuthEvent: (event) => events.push(event),
});
// Token exchange (RFC 8693) at the same server, its only one, typed as an
// OpenID provider: the exchanged tokens are shared on Redis too.
const exchanging = new MCPAuth({
  protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(issuer, { type: 'oidc' })] } },
  tokenExchange: { clientId: 'rs', clientSecret: 's3cret', store, storeSecret: secret, storeTimeout: 2000 },
});
const app = express();
app.get('/events', (_req, res) => res.json(events));
app.get(
  '/mcp',
  mcpAuth.bearerAuth('introspection', {
    resource: RESOURCE,
    introspection: { clientId: 'rs', clientSecret: 's3cret', store, storeSecret: secret, storeTimeout: 2000 },
  }),
  (req, res) => res.json({ sub: req.auth.subject, scopes: req.auth.scopes }),
);
app.get(
  '/exchange',
  mcpAuth.bearerAuth('introspection', { resource: RESOURCE, introspection: { clientId: 'rs', clientSecret: 's3cret' } }),
  async (req, res) => res.json({ issued: (await exchanging.exchangeToken(req.auth, { audience: 'billing-api' })).accessToken }),
);
app.get('/dpop', mcpAuth.bearerAuth('jwt', { resource: DPOP_RESOURCE }), (req, res) => res.json({ sub: req.auth.subject }));
const listening = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: listening.address().port })));
process.on('SIGTERM', () => process.exit(0));
