// The wire test `npm run test:runtimes` runs under Bun and Deno (and Node, as
// the control): a web-standard server (Bun.serve / Deno.serve /
// @hono/node-server) with mcpAuth.webBearerAuth in front, against the local
// authorization server and JWKS scripts/test-runtimes.mjs started on
// 127.0.0.1. Prints one JSON line; exits 1 when a check fails. The tokens
// come in MCP_AUTH_RS_WIRE and are never printed.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MCPAuth, exposeWwwAuthenticate, fetchServerConfig } = require('../../dist/index.js');

const config = JSON.parse(process.env.MCP_AUTH_RS_WIRE);
const runtime = globalThis.Bun ? `bun ${Bun.version}` : globalThis.Deno ? `deno ${Deno.version.deno}` : `node ${process.versions.node}`;

const mcpAuth = new MCPAuth({
  protectedResources: [
    { metadata: { resource: config.resource, authorizationServers: [await fetchServerConfig(config.issuer, { type: 'oauth' })], scopesSupported: ['mcp:read', 'mcp:write'] } },
    // An issuer whose key set cannot be fetched: verification must answer 503.
    { metadata: { resource: config.downResource, authorizationServers: [config.downServer] } },
  ],
});
const gates = {
  '/mcp': mcpAuth.webBearerAuth('jwt', { resource: config.resource }),
  '/write': mcpAuth.webBearerAuth('jwt', { resource: config.resource, requiredScopes: ['mcp:write'] }),
  '/down': mcpAuth.webBearerAuth('jwt', { resource: config.downResource }),
};

async function handle(request) {
  const metadata = mcpAuth.protectedResourceMetadataResponse(request);
  if (metadata) return metadata;
  const gate = gates[new URL(request.url).pathname];
  if (!gate) return new Response('not found', { status: 404 });
  const auth = await gate(request);
  if (auth instanceof Response) return auth;
  return exposeWwwAuthenticate(Response.json({ subject: auth?.subject }), auth);
}

async function listen() {
  if (globalThis.Bun) {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handle });
    return { port: server.port, close: () => server.stop(true) };
  }
  if (globalThis.Deno) {
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, handle);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  const { serve } = await import('@hono/node-server');
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: handle, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return { port: server.address().port, close: () => new Promise((resolve) => server.close(resolve)) };
}

const server = await listen();
const base = `http://127.0.0.1:${server.port}`;
const checks = [];
const expect = async (name, path, token, want) => {
  const response = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await response.text();
  const challenge = response.headers.get('www-authenticate') ?? '';
  const problems = [];
  if (response.status !== want.status) problems.push(`status ${response.status}`);
  if (want.challenge && !want.challenge.test(challenge)) problems.push(`challenge ${challenge}`);
  if (want.body && !want.body(JSON.parse(body))) problems.push(`body ${body.slice(0, 200)}`);
  if (want.header && !want.header(response.headers)) problems.push('headers');
  if (token && (body.includes(token) || challenge.includes(token))) problems.push('token echoed');
  checks.push({ name, status: response.status, ok: problems.length === 0, ...(problems.length ? { problems } : {}) });
};

const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', config.resource).href;
try {
  await expect('no token: 401 bare challenge', '/mcp', undefined, {
    status: 401,
    // DPoP is 'allowed' by default: its challenge follows Bearer's (RFC 9449 §7.1).
    challenge: new RegExp(`^Bearer resource_metadata="${metadataUrl}", DPoP algs="[A-Za-z0-9 ]+", resource_metadata="${metadataUrl}"$`),
    body: (json) => json.error === 'missing_auth_header',
    header: (headers) => /WWW-Authenticate/.test(headers.get('access-control-expose-headers') ?? ''),
  });
  await expect('expired token: 401 invalid_token', '/mcp', config.tokens.expired, {
    status: 401,
    challenge: /error="invalid_token", error_description="The access token has expired\."/,
  });
  await expect('missing scope: 403 insufficient_scope', '/write', config.tokens.read, {
    status: 403,
    challenge: /error="insufficient_scope".*scope="mcp:write"/,
    body: (json) => json.missing_scopes?.[0] === 'mcp:write',
  });
  await expect('valid token: 200, the caller seen', '/mcp', config.tokens.read, {
    status: 200,
    body: (json) => json.subject === 'runtime-user',
    header: (headers) => /WWW-Authenticate/.test(headers.get('access-control-expose-headers') ?? ''),
  });
  await expect('key set unreachable: 503 + Retry-After, no challenge', '/down', config.tokens.down, {
    status: 503,
    body: (json) => json.error === 'server_error',
    header: (headers) => headers.get('retry-after') !== null && headers.get('www-authenticate') === null,
  });
  await expect('metadata document served', '/.well-known/oauth-protected-resource/mcp', undefined, {
    status: 200,
    body: (json) => json.resource === config.resource,
  });
} finally {
  await server.close();
}

console.log(JSON.stringify({ runtime, checks }));
process.exit(checks.every((check) => check.ok) ? 0 : 1);
