import express from 'express';
import { createClient } from 'redis';
import { MCPAuth, redisStore } from 'mcp-auth-rs';

const redis = createClient({
  url: process.env.REDIS_URL,
  // Bound what the client keeps during an outage (see "Outages" below).
  disableOfflineQueue: true,
  commandsQueueMaxLength: 1000,
  socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(retries * 50, 2000) },
});
redis.on('error', () => {}); // outages are reported as auth events
await redis.connect();
const store = redisStore(redis, { prefix: 'mcp-auth-rs:' }); // or redisStore(process.env.REDIS_URL!): no client package

const resource = 'https://mcp.example.com/mcp';
const mcpAuth = new MCPAuth({
  protectedResources: {
    metadata: { resource, authorizationServers: [{ issuer: process.env.ISSUER!, type: 'oauth' }] }, // e.g. https://auth.example.com
    // The DPoP replay cache, shared: a proof is accepted by exactly one process.
    // The nonce secret lets every process accept the others' nonces.
    dpop: { mode: 'allowed', store, nonce: { secret: process.env.MCP_AUTH_NONCE_SECRET } },
  },
});

const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter());
app.post('/mcp', express.json(), mcpAuth.bearerAuth('introspection', {
  resource,
  introspection: {
    clientId: 'todo-resource-server',
    clientSecret: process.env.INTROSPECTION_SECRET,
    // The introspection cache, shared: one endpoint call per token for the whole fleet.
    store,
    storeSecret: process.env.MCP_AUTH_STORE_SECRET!, // at least 32 bytes, the same in every process
  },
}), (req, res) => {
  res.json({ subject: req.auth?.subject });
});
app.listen(Number(process.env.PORT ?? 3001));
