// The Google and GitHub recipes of docs/providers.md: opaque tokens checked by
// the custom verifiers in examples/providers/opaque-token-verifiers.mjs (the
// code the recipes show), against local 127.0.0.1 servers shaped like
// Google's tokeninfo and GitHub's check-token API, behind real Express.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';

import { MCPAuth } from 'mcp-auth-rs';
import {
  googleTokenVerifier, githubTokenVerifier, GOOGLE_ISSUER, GITHUB_ISSUER,
} from '../examples/providers/opaque-token-verifiers.mjs';
import { startHttp, parseWwwAuthenticate } from './helpers/http.mjs';
import { serveApp, send, single } from './helpers/app.mjs';
import { nowSeconds } from './helpers/keys.mjs';

const GOOGLE_RESOURCE = 'http://localhost:3001/google/mcp';
const GITHUB_RESOURCE = 'http://localhost:3001/github/mcp';
const GOOGLE_CLIENT = '1234567890-abc.apps.googleusercontent.com';
const GITHUB_CLIENT = 'Iv1.8a61f9b3a7aba766';
const GITHUB_SECRET = 'local-test-secret';
const now = nowSeconds();

// What Google's tokeninfo answers per token (numbers as strings, as Google sends them).
const googleTokens = {
  'ya29.good': { azp: GOOGLE_CLIENT, aud: GOOGLE_CLIENT, sub: '110169484474386276334', scope: 'openid https://www.googleapis.com/auth/userinfo.email', exp: String(now + 3600), expires_in: '3599', email: 'ada@example.com', email_verified: 'true', access_type: 'online' },
  'ya29.other-client': { azp: 'other.apps.googleusercontent.com', aud: 'other.apps.googleusercontent.com', sub: '1', scope: 'openid', exp: String(now + 3600), expires_in: '3599' },
  'ya29.expired-but-answered': { azp: GOOGLE_CLIENT, aud: GOOGLE_CLIENT, sub: '1', scope: 'openid', exp: String(now - 120), expires_in: '0' },
};
// What GitHub's check-token API answers per token, for our app.
const githubTokens = {
  gho_good: { id: 1, app: { client_id: GITHUB_CLIENT, name: 'Todo MCP' }, scopes: ['read:user', 'repo'], expires_at: null, user: { login: 'octocat', id: 583231 } },
  ghu_expiring: { id: 2, app: { client_id: GITHUB_CLIENT, name: 'Todo MCP' }, scopes: [], expires_at: new Date((now + 28800) * 1000).toISOString(), user: { login: 'octocat', id: 583231 } },
  ghu_expired: { id: 3, app: { client_id: GITHUB_CLIENT, name: 'Todo MCP' }, scopes: [], expires_at: new Date((now - 600) * 1000).toISOString(), user: { login: 'octocat', id: 583231 } },
  gho_other_app: { id: 4, app: { client_id: 'Iv1.someoneelse', name: 'Other' }, scopes: ['repo'], expires_at: null, user: { login: 'octocat', id: 583231 } },
};

let providers;
let app;
const events = [];
const githubAuthHeaders = [];

before(async () => {
  providers = await startHttp(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/tokeninfo') {
      const token = url.searchParams.get('access_token');
      if (token === 'ya29.upstream-down') return reply(503, {});
      const info = googleTokens[token];
      return info ? reply(200, info) : reply(400, { error: 'invalid_token', error_description: 'Invalid Value' });
    }
    if (req.method === 'POST' && url.pathname === `/applications/${GITHUB_CLIENT}/token`) {
      githubAuthHeaders.push(req.headers.authorization);
      let body = '';
      for await (const chunk of req) body += chunk;
      const expected = `Basic ${Buffer.from(`${GITHUB_CLIENT}:${GITHUB_SECRET}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return reply(401, { message: 'Requires authentication' });
      const found = githubTokens[JSON.parse(body).access_token];
      return found ? reply(200, found) : reply(404, { message: 'Not Found' });
    }
    reply(404, {});
  });
  const server = (issuer, authorize, token) => ({
    type: 'oauth',
    metadata: { issuer, authorizationEndpoint: authorize, tokenEndpoint: token, responseTypesSupported: ['code'], codeChallengeMethodsSupported: ['S256'] },
  });
  const mcpAuth = new MCPAuth({
    protectedResources: [
      { metadata: { resource: GOOGLE_RESOURCE, authorizationServers: [server(GOOGLE_ISSUER, 'https://accounts.google.com/o/oauth2/v2/auth', 'https://oauth2.googleapis.com/token')] } },
      { metadata: { resource: GITHUB_RESOURCE, authorizationServers: [server(GITHUB_ISSUER, 'https://github.com/login/oauth/authorize', 'https://github.com/login/oauth/access_token')] } },
    ],
    onAuthEvent: (event) => events.push(event),
  });
  const google = googleTokenVerifier({ clientId: GOOGLE_CLIENT, tokeninfoUrl: `${providers.url}/tokeninfo` });
  const github = githubTokenVerifier({ clientId: GITHUB_CLIENT, clientSecret: GITHUB_SECRET, apiUrl: providers.url });
  app = await serveApp(express, (a) => {
    const echo = (req, res) => res.json({ auth: req.auth });
    a.get('/google/mcp', mcpAuth.bearerAuth(google, { resource: GOOGLE_RESOURCE, audience: GOOGLE_CLIENT }), echo);
    a.get('/github/mcp', mcpAuth.bearerAuth(github, { resource: GITHUB_RESOURCE, audience: GITHUB_CLIENT }), echo);
  });
});

after(async () => {
  await app?.close();
  await providers?.close();
});

const call = (path, token) => send(app, { path, headers: { Authorization: `Bearer ${token}` } });

async function accepted(path, token) {
  const response = await call(path, token);
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body).auth;
}

async function refused(path, token) {
  const response = await call(path, token);
  assert.equal(response.status, 401, response.body);
  assert.equal(parseWwwAuthenticate(single(response, 'www-authenticate')).params.error, 'invalid_token');
  assert.equal(events.at(-1).type, 'rejected');
}

describe('Google (tokeninfo)', () => {
  it('accepts a token issued to our client: scopes, subject and expiry from tokeninfo', async () => {
    const auth = await accepted('/google/mcp', 'ya29.good');
    assert.equal(auth.clientId, GOOGLE_CLIENT);
    assert.equal(auth.subject, '110169484474386276334');
    assert.deepEqual(auth.scopes, ['openid', 'https://www.googleapis.com/auth/userinfo.email']);
    assert.equal(auth.expiresAt, now + 3600);
    assert.equal(auth.issuer, GOOGLE_ISSUER);
  });

  it("refuses a valid token of another client (what userinfo would have accepted), an unknown and an expired one", async () => {
    await refused('/google/mcp', 'ya29.other-client');
    await refused('/google/mcp', 'ya29.unknown');
    await refused('/google/mcp', 'ya29.expired-but-answered');
  });

  it('answers 500, never 200, when tokeninfo is down', async () => {
    const response = await call('/google/mcp', 'ya29.upstream-down');
    assert.equal(response.status, 500);
  });
});

describe('GitHub (check a token)', () => {
  it('accepts a token of our app, asking with our app credentials', async () => {
    const auth = await accepted('/github/mcp', 'gho_good');
    assert.equal(auth.clientId, GITHUB_CLIENT);
    assert.equal(auth.subject, '583231');
    assert.deepEqual(auth.scopes, ['read:user', 'repo']);
    assert.equal(auth.expiresAt, undefined);
    assert.equal(githubAuthHeaders.at(-1), `Basic ${Buffer.from(`${GITHUB_CLIENT}:${GITHUB_SECRET}`).toString('base64')}`);
    assert.equal((await accepted('/github/mcp', 'ghu_expiring')).expiresAt, now + 28800);
  });

  it("refuses another app's token, an unknown token and an expired GitHub App token", async () => {
    await refused('/github/mcp', 'gho_other_app');
    await refused('/github/mcp', 'gho_unknown');
    await refused('/github/mcp', 'ghu_expired');
  });
});
