// bearerAuth with the official MCP SDK servers and clients, both majors, over
// real HTTP on 127.0.0.1: what tools see (ctx.http.authInfo on v2,
// extra.authInfo on v1), per-tool scope step-up (v2's scopeChallenge with our
// hierarchy-aware requireScopes: a 403 whose resource_metadata is the one our
// 401s advertise, for a resource ending in '/'), protocol 2026-07-28 and
// 2025-11-25 from the same server, tokenVerifier() behind v2's own gate, and
// the tutorial's throw-in-a-tool on v1.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { requireBearerAuth } from '@modelcontextprotocol/express';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport as StreamableHTTPServerTransportV1 } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as StreamableHTTPClientTransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { MCPAuth, MCPAuthBearerAuthError, assertScopes, fetchServerConfig, requireScopes } from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { parseWwwAuthenticate, startHttp } from './helpers/http.mjs';

const HIERARCHY = { 'todos:admin': ['todos:read', 'todos:delete'] };
const text = (value) => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });
const identity = (auth) => ({
  subject: auth?.subject,
  issuer: auth?.issuer,
  scopes: auth?.scopes,
  effectiveScopes: auth?.effectiveScopes,
  resourceMetadataUrl: auth?.resourceMetadataUrl,
});

describe('SDK v2 server behind bearerAuth', () => {
  let as;
  let downAs;
  let http;
  let key;
  let resource;
  let prm;
  let gatedResource;
  const token = (scope, extra = {}) => signJwt(claims({ issuer: as.issuer, audience: resource, scope, sub: 'alice', ...extra }), key);

  before(async () => {
    key = generateKey('RS256', { kid: 'v2' });
    as = await startAuthServer({ keys: [key] });
    downAs = await startAuthServer({ keys: [key], faults: { '/jwks': 'down' } });
    const app = express();
    http = await startHttp(app);
    // A resource ending in '/': the SDK's own derivation of the metadata URL drops that slash.
    resource = `${http.url}/mcp/`;
    prm = `${http.url}/.well-known/oauth-protected-resource/mcp/`;
    gatedResource = `${http.url}/gated`;
    const server = await fetchServerConfig(as.issuer, { type: 'oidc' });
    const mcpAuth = new MCPAuth({
      protectedResources: [
        { metadata: { resource, authorizationServers: [server], scopesSupported: ['todos:read', 'todos:delete'] }, scopeHierarchy: HIERARCHY },
        { metadata: { resource: gatedResource, authorizationServers: [server] } },
        { metadata: { resource: `${http.url}/down`, authorizationServers: [await fetchServerConfig(downAs.issuer, { type: 'oidc' })] } },
      ],
    });
    const handler = createMcpHandler(() => {
      const mcp = new McpServer({ name: 'todos', version: '1.0.0' });
      mcp.registerTool('whoami', { description: 'Who is calling' }, async (ctx) => text(identity(ctx.http?.authInfo)));
      mcp.registerTool('delete-todo', { description: 'Needs todos:delete', scopeChallenge: requireScopes('todos:delete') }, async (ctx) =>
        text(identity(ctx.http?.authInfo)),
      );
      return mcp;
    });
    const node = toNodeHandler(handler);
    app.use(mcpAuth.protectedResourceMetadataRouter());
    app.all('/mcp/', express.json(), mcpAuth.bearerAuth('jwt', { resource }), (req, res) => void node(req, res, req.body));
    // v2's own gate with our verifier in front of the same handler.
    const gate = (target) => requireBearerAuth({ verifier: mcpAuth.tokenVerifier({ resource: target }), expectedResource: new URL(target) });
    app.all('/gated', express.json(), gate(gatedResource), (req, res) => void node(req, res, req.body));
    app.all('/down', express.json(), gate(`${http.url}/down`), (req, res) => void node(req, res, req.body));
  });
  after(async () => {
    await http?.close();
    await as?.close();
    await downAs?.close();
  });

  // One JSON-RPC request as a 2025-11-25 client sends it (the stateless legacy path).
  const legacyCall = (url, bearer, name) =>
    fetch(url, {
      method: 'POST',
      headers: {
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
    });
  const toolResult = async (response) => {
    const body = await response.text();
    const data = body.split('\n').find((line) => line.startsWith('data: '));
    return JSON.parse(JSON.parse(data.slice('data: '.length)).result.content[0].text);
  };

  it('a tool without enough scope: 403 insufficient_scope naming it, with our resource_metadata and the CORS expose header', async () => {
    const unauthenticated = await legacyCall(resource, undefined, 'delete-todo');
    assert.equal(unauthenticated.status, 401);
    const ours = parseWwwAuthenticate(unauthenticated.headers.get('www-authenticate')).params.resource_metadata;
    assert.equal(ours, prm);

    const res = await legacyCall(resource, token('todos:read'), 'delete-todo');
    assert.equal(res.status, 403);
    const challenge = parseWwwAuthenticate(res.headers.get('www-authenticate'));
    assert.equal(challenge.scheme.toLowerCase(), 'bearer');
    assert.equal(challenge.params.error, 'insufficient_scope');
    assert.equal(challenge.params.scope, 'todos:delete');
    assert.equal(challenge.params.resource_metadata, ours);
    assert.match(res.headers.get('access-control-expose-headers'), /\bWWW-Authenticate\b/);
    // The URL answers with this resource's document (the SDK's derived one would be a 404 here).
    const document = await fetch(challenge.params.resource_metadata);
    assert.equal(document.status, 200);
    assert.equal((await document.json()).resource, resource);
  });

  it('a broader scope (hierarchy) passes the per-tool check; scopes stay as granted', async () => {
    const res = await legacyCall(resource, token('todos:admin'), 'delete-todo');
    assert.equal(res.status, 200);
    const seen = await toolResult(res);
    assert.equal(seen.subject, 'alice');
    assert.equal(seen.issuer, as.issuer);
    assert.deepEqual(seen.scopes, ['todos:admin']);
    assert.deepEqual([...seen.effectiveScopes].sort(), ['todos:admin', 'todos:delete', 'todos:read']);
    assert.equal(seen.resourceMetadataUrl, prm);
  });

  it('a v2 client negotiates 2026-07-28; its tools see the caller; the 403 reaches it as a scope step-up', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token('todos:read')}` } } }));
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      const whoami = JSON.parse((await client.callTool({ name: 'whoami', arguments: {} })).content[0].text);
      assert.equal(whoami.subject, 'alice');
      // Without an OAuth provider the client cannot re-authorize; it reports what to ask for.
      await assert.rejects(client.callTool({ name: 'delete-todo', arguments: {} }), (error) => {
        assert.equal(error.requiredScope, 'todos:delete');
        assert.equal(String(error.resourceMetadataUrl), prm);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('the same server serves a 2025-11-25 client', async () => {
    const client = new Client({ name: 'legacy', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token('todos:read')}` } } }));
    try {
      assert.equal(client.getProtocolEra(), 'legacy');
      assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
      assert.equal(JSON.parse((await client.callTool({ name: 'whoami', arguments: {} })).content[0].text).subject, 'alice');
    } finally {
      await client.close();
    }
  });

  it("tokenVerifier() behind v2's requireBearerAuth: accepted, expired, foreign audience, outage", async () => {
    const gatedToken = (extra) => signJwt(claims({ issuer: as.issuer, audience: gatedResource, sub: 'bob', ...extra }), key);
    const ok = await legacyCall(gatedResource, gatedToken(), 'whoami');
    assert.equal(ok.status, 200);
    const seen = await toolResult(ok);
    assert.equal(seen.subject, 'bob');
    assert.equal(seen.resourceMetadataUrl, `${http.url}/.well-known/oauth-protected-resource/gated`);

    for (const rejected of [gatedToken({ exp: Math.floor(Date.now() / 1000) - 3600 }), gatedToken({ aud: resource })]) {
      const res = await legacyCall(gatedResource, rejected, 'whoami');
      assert.equal(res.status, 401);
      assert.equal(parseWwwAuthenticate(res.headers.get('www-authenticate')).params.error, 'invalid_token');
    }
    // v2's gate has no 503: an outage is its 500 server_error, never invalid_token.
    const down = await legacyCall(`${http.url}/down`, signJwt(claims({ issuer: downAs.issuer, audience: `${http.url}/down` }), key), 'whoami');
    assert.equal(down.status, 500);
    assert.equal((await down.json()).error, 'server_error');
  });
});

describe('SDK v1 server behind bearerAuth: the tutorial way and assertScopes', () => {
  let as;
  let http;
  let key;
  let resource;
  const token = (scope) => signJwt(claims({ issuer: as.issuer, audience: resource, scope, sub: 'carol' }), key);

  before(async () => {
    key = generateKey('RS256', { kid: 'v1' });
    as = await startAuthServer({ keys: [key] });
    const app = express();
    http = await startHttp(app);
    resource = `${http.url}/mcp`;
    const mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: { resource, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })] },
        scopeHierarchy: HIERARCHY,
      },
    });
    app.post('/mcp', express.json(), mcpAuth.bearerAuth('jwt', { resource }), async (req, res) => {
      const server = new McpServerV1({ name: 'todos', version: '1.0.0' });
      server.registerTool('delete-todo', { description: 'Needs todos:delete' }, async ({ authInfo }) => {
        assertScopes(authInfo, 'todos:delete');
        return text(identity(authInfo));
      });
      server.registerTool('tutorial', { description: 'The tutorial\'s own check' }, async ({ authInfo }) => {
        if (!authInfo?.scopes.includes('todos:delete')) throw new MCPAuthBearerAuthError('missing_required_scopes');
        return text(identity(authInfo));
      });
      const transport = new StreamableHTTPServerTransportV1({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    });
  });
  after(async () => {
    await http?.close();
    await as?.close();
  });

  async function callAs(scope, name) {
    const client = new ClientV1({ name: 'v1', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransportV1(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token(scope)}` } } }));
    try {
      return await client.callTool({ name, arguments: {} });
    } finally {
      await client.close();
    }
  }

  it('assertScopes honours the hierarchy; a missing scope is a tool error naming the problem', async () => {
    const granted = await callAs('todos:admin', 'delete-todo');
    assert.notEqual(granted.isError, true);
    assert.equal(JSON.parse(granted.content[0].text).subject, 'carol');
    const refused = await callAs('todos:read', 'delete-todo');
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /necessary scopes/);
  });

  it("the tutorial's throw new MCPAuthBearerAuthError('missing_required_scopes') still refuses the call", async () => {
    const refused = await callAs('todos:read', 'tutorial');
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /scope/i);
    assert.notEqual((await callAs('todos:delete', 'tutorial')).isError, true);
  });
});
