// What a handler receives when the addon checked the token itself (a cache
// miss checked inline, then a cache hit): the AuthInfo built from the core's
// accepted text (crates/mcp-auth-core/src/accepted_json.rs, an array read by
// place), with and without the optional claims, and with the `verification`
// event the timed check reports. Then the usual request's one-header call
// (`authenticateOne`), which must decide exactly as the header-list call.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import express from 'express';

import { MCPAuth, fetchServerConfig } from 'mcp-auth-rs';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { serveApp, send, jsonBody } from './helpers/app.mjs';

const native = createRequire(import.meta.url)('../index.js');
const RESOURCE = 'http://localhost:3001/mcp';

describe('an accepted request, as the handler sees it', () => {
  const key = generateKey('RS256', { kid: 'k1' });
  const events = [];
  let as;
  let server;

  before(async () => {
    as = await startAuthServer({ keys: [key] });
    const auth = new MCPAuth({
      protectedResources: {
        metadata: { resource: RESOURCE, authorizationServers: [await fetchServerConfig(as.issuer, { type: 'oidc' })] },
        scopeHierarchy: { 'todos:admin': ['todos:read'] },
      },
      onAuthEvent: (event) => events.push(event),
    });
    server = await serveApp(express, (app) => {
      app.get('/mcp', auth.bearerAuth('jwt', { resource: RESOURCE, audience: RESOURCE }), (req, res) => {
        const seen = {
          keys: Object.keys(req.auth),
          subjectOwn: Object.hasOwn(req.auth, 'subject'),
          subject: req.auth.subject === undefined ? '(undefined)' : req.auth.subject,
          ...Object.fromEntries(['issuer', 'clientId', 'scopes', 'effectiveScopes', 'expiresAt', 'audience', 'claims'].map((k) => [k, req.auth[k]])),
          tokenLength: req.auth.token.length,
          resource: String(req.auth.resource),
        };
        const text = JSON.stringify(seen);
        // A handler may change what it got; the next request must not see it.
        req.auth.claims.sub = 'changed';
        req.auth.scopes.push('changed');
        res.type('application/json').send(text);
      });
    });
  });
  after(async () => {
    await server?.close();
    await as?.close();
  });

  const get = async (token) => jsonBody(await send(server, { path: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }));

  it('carries every identity field, the same on a miss and on a hit, fresh each time', async () => {
    const body = claims({ issuer: as.issuer, audience: RESOURCE, scope: 'todos:admin', jti: 'one' });
    const token = signJwt(body, key);
    const first = await get(token);
    const second = await get(token);
    assert.deepEqual(second, first);
    assert.deepEqual(first.keys, ['issuer', 'clientId', 'scopes', 'token', 'audience', 'claims', 'expiresAt', 'subject', 'resource', 'effectiveScopes', 'resourceMetadataUrl']);
    assert.equal(first.issuer, as.issuer);
    assert.equal(first.subject, 'user-1');
    assert.equal(first.clientId, 'client-1');
    assert.deepEqual(first.scopes, ['todos:admin']);
    assert.deepEqual(first.effectiveScopes, ['todos:admin', 'todos:read']);
    assert.equal(first.expiresAt, body.exp);
    assert.equal(first.audience, RESOURCE);
    assert.deepEqual(first.claims, body);
    assert.equal(first.tokenLength, token.length);
    assert.equal(first.resource, RESOURCE);
  });

  it('leaves subject undefined and clientId empty when the token has neither', async () => {
    const body = claims({ issuer: as.issuer, audience: RESOURCE, scope: 'todos:read', jti: 'two', sub: undefined, client_id: undefined });
    assert.ok(!('sub' in body) && !('client_id' in body));
    const seen = await get(signJwt(body, key));
    assert.equal(seen.subjectOwn, true);
    assert.equal(seen.subject, '(undefined)');
    assert.equal(seen.clientId, '');
    // No hierarchy widening: the effective scopes are a copy of the granted ones.
    assert.deepEqual(seen.effectiveScopes, ['todos:read']);
  });

  it('reports the timed check as a verification event, and the acceptance', async () => {
    events.length = 0;
    const token = signJwt(claims({ issuer: as.issuer, audience: RESOURCE, scope: 'todos:read', jti: 'three' }), key);
    await get(token);
    const verification = events.find((e) => e.type === 'verification');
    assert.equal(verification?.valid, true);
    assert.ok(Number.isFinite(verification.durationMs) && verification.durationMs >= 0);
    assert.equal(events.filter((e) => e.type === 'accepted').length, 1);
  });
});

describe('authenticateOne decides as authenticate with one Authorization header', () => {
  const decider = new native.Authenticator({
    resourceMetadataUrl: 'https://r.example/.well-known/oauth-protected-resource',
    requiredScopes: [],
    showErrorDetails: false,
    maxTokenLength: 64,
    route: 'caller',
  });
  const values = [
    'Bearer abc.def.ghi',
    'bearer abc',
    'Bearer  abc',
    'Bearer ',
    '',
    'Basic dXNlcjpwYXNz',
    'DPoP abc',
    `Bearer ${'a'.repeat(65)}`,
    'Bearer t\u00f6ken',
    // Ł is U+0141: a read that kept only the low byte would see "Abc".
    'Bearer \u0141bc',
    'Bearer a\ud800b',
    'Bearer \u{1F600}',
  ];
  for (const value of values) {
    it(JSON.stringify(value), () => {
      const one = decider.authenticateOne('GET', '/mcp?x=1', null, value, false);
      const list = decider.authenticate('GET', '/mcp?x=1', null, ['authorization', value], false);
      assert.deepEqual(one, list);
    });
  }

  it('refuses characters outside ASCII instead of narrowing them', () => {
    const answer = decider.authenticateOne('GET', '/mcp', null, 'Bearer \u0141bc', false);
    assert.equal(answer.status, 400);
    const passed = decider.authenticateOne('GET', '/mcp', null, 'Bearer Abc', false);
    assert.equal(passed.token, 'Abc');
  });
});
