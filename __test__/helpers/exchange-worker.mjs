// One process of a token-exchange fleet (__test__/token-exchange-fleet.test.mjs):
// MCPAuth with `tokenExchange` whose issued tokens are shared on Redis.
// Prints `{"port":…}` once listening; GET /exchange?subject=… exchanges that
// subject token for `billing-api` and answers the issued token; GET /events
// lists its auth events.

import http from 'node:http';
import { createClient } from 'redis';
import { MCPAuth, redisStore } from 'mcp-auth-rs';

export const EXCHANGE_FLEET_SECRET = 'exchange-fleet-secret-for-tests-0123456789';

const [redisUrl, issuer] = process.argv.slice(2);
const client = createClient({ url: redisUrl, socket: { reconnectStrategy: () => 100, connectTimeout: 500 } });
client.on('error', () => {}); // an outage is the test's subject; the store reports it
await client.connect();

const events = [];
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource: 'https://mcp.example.com/mcp', authorizationServers: [{ issuer, type: 'oauth' }] } },
  onAuthEvent: (event) => events.push(event),
  tokenExchange: {
    clientId: 'rs',
    clientSecret: 'rs-secret-value',
    tokenEndpoint: `${issuer}/token`,
    store: redisStore(client, { prefix: 'fleet:' }),
    storeSecret: EXCHANGE_FLEET_SECRET,
    storeTimeout: 200,
  },
});

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  res.setHeader('content-type', 'application/json');
  if (url.pathname === '/events') return res.end(JSON.stringify(events));
  try {
    const caller = { token: url.searchParams.get('subject'), clientId: 'c', scopes: ['read'] };
    res.end(JSON.stringify(await mcpAuth.exchangeToken(caller, { audience: 'billing-api' })));
  } catch (error) {
    res.statusCode = 502;
    res.end(JSON.stringify({ code: error.code }));
  }
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
