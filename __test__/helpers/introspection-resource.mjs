// A resource server in its own process ('introspection' mode against the
// issuer given as the first argument), so a test can read what the process
// writes to stderr: the addon's panic hook writes there, not through Node.
// Prints `{"port":…}` once listening.

import express from 'express';
import { MCPAuth } from 'mcp-auth-rs';
import { RESOURCE } from './introspection-server.mjs';

const [issuer] = process.argv.slice(2);
const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer, type: 'oauth' }] } },
});
const app = express();
app.get(
  '/mcp',
  mcpAuth.bearerAuth('introspection', { resource: RESOURCE, introspection: { clientId: 'rs', clientSecret: 's3cret', timeout: 1000 } }),
  (req, res) => res.json({ sub: req.auth.subject, expiresAt: req.auth.expiresAt }),
);
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));
