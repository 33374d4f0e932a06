// Scope hierarchies (MCP 2026-07-28, M16): setup validation, and the same
// rule wherever a scope is checked: bearerAuth's requiredScopes ('jwt' and
// custom-verifier modes, over HTTP), and the per-operation helpers
// (requireScopes for SDK v2's scopeChallenge, hasScopes/assertScopes).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';

import {
  MCPAuth,
  MCPAuthAuthServerError,
  MCPAuthBearerAuthError,
  assertScopes,
  fetchServerConfig,
  handleBearerAuth,
  hasScopes,
  requireScopes,
} from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { parseWwwAuthenticate } from './helpers/http.mjs';
import { serveApp, send, single, jsonBody } from './helpers/app.mjs';

const RESOURCE = 'http://localhost:3001/mcp';
const PRM = 'http://localhost:3001/.well-known/oauth-protected-resource/mcp';
const ISSUER = 'https://as.example.com';
const HIERARCHY = Object.freeze({
  'todos:admin': ['todos:write', 'todos:delete'],
  'todos:write': ['todos:read'],
});

function configError(fn) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof MCPAuthAuthServerError, `expected MCPAuthAuthServerError, got ${error}`);
    assert.equal(error.code, 'invalid_server_config');
    return String(error.cause?.cause);
  }
  assert.fail('expected a configuration error');
}

const withHierarchy = (scopeHierarchy) =>
  new MCPAuth({
    protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: ISSUER, type: 'oidc' }] }, scopeHierarchy },
  });

describe('scopeHierarchy: refused at setup with a clear reason', () => {
  const cases = [
    ['not an object', ['todos:admin'], /must be an object mapping a scope/],
    ['a string instead of an array', { 'todos:admin': 'todos:read' }, /\["todos:admin"\]` must be an array/],
    ['an invalid scope', { 'todos admin': ['todos:read'] }, /"todos admin" is not a valid scope/],
    ['an implied scope that is not a string', { 'todos:admin': [42] }, /42 is not a valid scope/],
    ['offline_access', { 'todos:admin': ['offline_access'] }, /offline_access/],
    ['a cycle', { a: ['b'], b: ['c'], c: ['a'] }, /cycle: a → b → c → a/],
    ['a scope implying itself', { a: ['a'] }, /cycle: a → a/],
  ];
  for (const [label, hierarchy, reason] of cases) {
    it(label, () => {
      const cause = configError(() => withHierarchy(hierarchy));
      assert.match(cause, /scopeHierarchy of http:\/\/localhost:3001\/mcp/);
      assert.match(cause, reason);
    });
  }

  it('on bearerAuth in protectedResources mode: it belongs to the resource', () => {
    const mcpAuth = withHierarchy(undefined);
    assert.match(configError(() => mcpAuth.bearerAuth('jwt', { resource: RESOURCE, scopeHierarchy: HIERARCHY })), /set `scopeHierarchy` on the protected resource/);
  });

  it('handleBearerAuth validates its own scopeHierarchy', () => {
    const verifyAccessToken = () => ({});
    assert.match(configError(() => handleBearerAuth({ verifyAccessToken, issuer: ISSUER, scopeHierarchy: { a: ['a'] } })), /cycle/);
  });

  it('a diamond is not a cycle', () => {
    assert.doesNotThrow(() => withHierarchy({ top: ['left', 'right'], left: ['bottom'], right: ['bottom'] }));
  });
});

describe('bearerAuth requiredScopes honour the hierarchy (on the wire)', () => {
  let as;
  let server;
  let key;
  const token = (scope) => signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope }), key);
  const call = (path, scope) => send(server, { path, headers: [['Authorization', `Bearer ${token(scope)}`]] });
  const customCall = (path, scope) =>
    send(server, { path, headers: [['Authorization', `Bearer custom-${Buffer.from(scope).toString('base64url')}`]] });
  const echo = (req, res) => res.json({ scopes: req.auth.scopes, effectiveScopes: req.auth.effectiveScopes });

  before(async () => {
    key = generateKey('RS256', { kid: 'scopes' });
    as = await startAuthServer({ keys: [key] });
    const mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })] },
        scopeHierarchy: HIERARCHY,
      },
    });
    // A custom verifier: the token's text after "custom-" is its scope, base64url-encoded.
    const verifyAccessToken = (value) => ({
      token: value,
      clientId: 'c',
      scopes: [Buffer.from(value.slice('custom-'.length), 'base64url').toString()],
      issuer: as.issuer,
      audience: RESOURCE,
    });
    server = await serveApp(express, (app) => {
      app.get('/read', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, requiredScopes: ['todos:read'] }), echo);
      app.get('/read-delete', mcpAuth.bearerAuth('jwt', { resource: RESOURCE, requiredScopes: ['todos:read', 'todos:delete'] }), echo);
      app.get('/custom', mcpAuth.bearerAuth(verifyAccessToken, { resource: RESOURCE, requiredScopes: ['todos:read'] }), echo);
      app.get(
        '/standalone',
        handleBearerAuth({ verifyAccessToken, issuer: as.issuer, resource: RESOURCE, requiredScopes: ['todos:delete'], scopeHierarchy: HIERARCHY }),
        echo,
      );
    });
  });
  after(async () => {
    await server?.close();
    await as?.close();
  });

  it('a broader scope satisfies a narrower one, transitively; scopes stay as granted', async () => {
    const res = await call('/read', 'todos:admin');
    assert.equal(res.status, 200);
    const body = jsonBody(res);
    assert.deepEqual(body.scopes, ['todos:admin']);
    assert.deepEqual(body.effectiveScopes.sort(), ['todos:admin', 'todos:delete', 'todos:read', 'todos:write']);
  });

  it('a narrower scope does not satisfy a broader one', async () => {
    const res = await call('/read-delete', 'todos:write');
    assert.equal(res.status, 403);
    const challenge = parseWwwAuthenticate(single(res, 'www-authenticate'));
    assert.equal(challenge.params.error, 'insufficient_scope');
    // Every scope the route needs, in one challenge, never a broader one or offline_access.
    assert.equal(challenge.params.scope, 'todos:read todos:delete');
    assert.equal(challenge.params.resource_metadata, PRM);
    assert.deepEqual(jsonBody(res).missing_scopes, ['todos:delete']);
  });

  it('the custom-verifier path applies the same hierarchy', async () => {
    assert.equal((await customCall('/custom', 'todos:write')).status, 200);
    assert.equal((await customCall('/custom', 'todos:other')).status, 403);
    assert.equal((await customCall('/standalone', 'todos:admin')).status, 200);
    assert.equal((await customCall('/standalone', 'todos:write')).status, 403);
  });
});

describe('per-operation scope helpers', () => {
  const granted = (scopes, effectiveScopes) => ({ scopes, effectiveScopes });

  it('hasScopes / assertScopes use the effective scopes bearerAuth set, else the granted ones', () => {
    assert.equal(hasScopes(granted(['todos:admin'], ['todos:admin', 'todos:delete']), 'todos:delete'), true);
    assert.equal(hasScopes(granted(['todos:admin']), 'todos:delete'), false);
    assert.equal(hasScopes(granted(['a', 'b']), 'a', 'b'), true);
    assert.equal(hasScopes(undefined, 'a'), false);
    assert.doesNotThrow(() => assertScopes(granted(['a']), 'a'));
    assert.throws(
      () => assertScopes(granted(['a']), 'a', 'b', 'c'),
      (error) =>
        error instanceof MCPAuthBearerAuthError &&
        error.code === 'missing_required_scopes' &&
        JSON.stringify(error.cause.missingScopes) === '["b","c"]',
    );
  });

  it('requireScopes: one challenge naming every scope the operation needs; none for the unauthenticated', () => {
    const check = requireScopes('todos:delete', 'todos:read');
    assert.deepEqual(check({ authInfo: granted(['todos:read']) }), { scopes: ['todos:delete', 'todos:read'] });
    assert.equal(check({ authInfo: granted(['todos:admin'], ['todos:admin', 'todos:delete', 'todos:read']) }), undefined);
    assert.equal(check({}), undefined);
  });

  it('requireScopes refuses invalid scopes and offline_access at setup', () => {
    assert.match(configError(() => requireScopes('a b')), /not a valid scope/);
    assert.match(configError(() => requireScopes('offline_access')), /offline_access/);
    assert.match(configError(() => requireScopes()), /at least one scope/);
  });
});
