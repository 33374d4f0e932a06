// The SDK v2 project of `npm run test:install` (scripts/install-test.mjs):
// no @modelcontextprotocol/sdk installed, only SDK v2's server packages.
// Its server, written for `import` and for `require`, is driven over HTTP by
// the SDK v2 client, once with a bearer token from the install test's local
// authorization server and once through the v2 client's OAuth support against
// the embedded oidc-provider authorization server of examples/todo-manager.
// Its typed server is the one __test__/typings.test.mjs checks.

import { readFileSync } from 'node:fs';
import { userModule } from './user-module.mjs';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startAuthorizationServer } from '../examples/todo-manager/authorization-server.mjs';
import { connectAs } from '../examples/todo-manager/client.mjs';

export const V2_PROJECT = {
  name: 'sdk-v2',
  sdk: 'v2',
  deps: [
    '@modelcontextprotocol/server@2',
    '@modelcontextprotocol/node@2',
    '@modelcontextprotocol/express@2',
    'express@5',
    '@types/express@5',
    'typescript@5',
  ],
  versionsOf: ['express', 'typescript', '@modelcontextprotocol/server', '@modelcontextprotocol/node'],
};

/** The typed user server: the strict file the typings test checks, from ESM and CommonJS. */
export function v2TypedSource() {
  return readFileSync(new URL('../__test__/typings/v2-server.mts', import.meta.url), 'utf8');
}

export function v2ServerSource(kind) {
  const imports = {
    esm: `import { once } from 'node:events';
import { createRequire } from 'node:module';
import express from 'express';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { MCPAuth, fetchServerConfig, requireScopes } from 'mcp-auth-rs';
const loadedModules = createRequire(import.meta.url).cache;`,
    cjs: `const { once } = require('node:events');
const express = require('express');
const { createMcpHandler, fromJsonSchema, McpServer } = require('@modelcontextprotocol/server');
const { toNodeHandler } = require('@modelcontextprotocol/node');
const { MCPAuth, fetchServerConfig, requireScopes } = require('mcp-auth-rs');
const loadedModules = require.cache;`,
  };
  const body = `
  const app = express();
  const listener = app.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const port = listener.address().port;
  const resource = \`http://127.0.0.1:\${port}/mcp\`;
  const mcpAuth = new MCPAuth({
    protectedResources: {
      metadata: {
        resource,
        authorizationServers: [await fetchServerConfig(process.env.ISSUER, { type: process.env.ISSUER_TYPE })],
        scopesSupported: ['whoami'],
      },
      scopeHierarchy: { 'whoami:admin': ['whoami'] },
    },
  });
  const inputSchema = fromJsonSchema({ type: 'object', properties: { greeting: { type: 'string' } } });
  // The factory sees the request's AuthInfo too (requestSubject); tools see it as ctx.http.authInfo.
  const handler = createMcpHandler((request) => {
    const server = new McpServer({ name: 'install-test-v2-${kind}', version: '1.0.0' });
    const requestSubject = request.authInfo?.subject;
    server.registerTool('whoami', { description: 'Who is calling', inputSchema, scopeChallenge: requireScopes('whoami') }, async ({ greeting }, ctx) => ({
      content: [{ type: 'text', text: JSON.stringify({ greeting, subject: ctx.http?.authInfo?.subject, scopes: ctx.http?.authInfo?.scopes, requestSubject }) }],
    }));
    return server;
  });
  const node = toNodeHandler(handler);
  app.use(mcpAuth.protectedResourceMetadataRouter());
  app.all('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource }), (req, res) => void node(req, res, req.body));
  const binding = Object.keys(loadedModules).find((path) => path.endsWith('.node'));
  console.log(JSON.stringify({ port, resource, binding }));
`;
  return userModule(kind, imports, body);
}

async function whoami(client) {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  return JSON.parse(result.content[0].text);
}

/**
 * Drives a server started with ISSUER = the local authorization server:
 * 2026-07-28 with a bearer token, a broader scope through the hierarchy,
 * and the per-tool 403 for a token without the scope.
 */
export async function exerciseV2WithBearer(server, auth, check) {
  const connect = async (token) => {
    const client = new Client({ name: 'install-test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.resource), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  };
  const client = await connect(auth.token({ audience: server.resource }));
  try {
    check(client.getNegotiatedProtocolVersion() === '2026-07-28', `v2 client negotiated ${client.getNegotiatedProtocolVersion()}`);
    const seen = await whoami(client);
    check(seen.subject === 'install-test-user', `v2 whoami: ${JSON.stringify(seen)}`);
  } finally {
    await client.close();
  }
  const admin = await connect(auth.token({ audience: server.resource, scope: 'whoami:admin' }));
  try {
    check(JSON.stringify((await whoami(admin)).scopes) === '["whoami:admin"]', 'whoami:admin did not imply whoami');
  } finally {
    await admin.close();
  }
  const unscoped = await connect(auth.token({ audience: server.resource, scope: 'other' }));
  try {
    const refused = await whoami(unscoped).then(
      () => undefined,
      (error) => error,
    );
    check(refused?.requiredScope === 'whoami', `token without the scope: ${refused}`);
  } finally {
    await unscoped.close();
  }
}

/** The embedded oidc-provider authorization server, for the OAuth-provider run. */
export function startEmbeddedAuthorizationServer() {
  return startAuthorizationServer({ scopes: ['whoami'], accounts: { user: { scopes: ['whoami'] } } });
}

/** Drives a server started with ISSUER = the embedded authorization server: the full OAuth flow of the v2 client. */
export async function exerciseV2WithOAuth(server, embedded, check) {
  embedded.addResource(server.resource);
  const session = await connectAs({ mcpUrl: server.resource, account: 'user' });
  try {
    check(session.protocolVersion === '2026-07-28', `OAuth client negotiated ${session.protocolVersion}`);
    const seen = await whoami(session.client);
    check(seen.subject === 'user' && seen.scopes?.includes('whoami'), `OAuth whoami: ${JSON.stringify(seen)}`);
  } finally {
    await session.client.close();
  }
}
