// Shared setup of the provider-recipe tests (docs/providers.md): one local
// JWKS server standing in for every provider's key endpoint, inline metadata
// with the providers' real issuer forms, and an Express app per recipe.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';

import { MCPAuth } from 'mcp-auth-rs';
import { generateKey, jwks, nowSeconds } from './keys.mjs';
import { startHttp, parseWwwAuthenticate } from './http.mjs';
import { serveApp, send, single } from './app.mjs';

export { send };

export const RESOURCE = 'http://localhost:3001/mcp';
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const OTHER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const ENTRA_API = '6e74172b-be56-4843-9ff4-e66a39bb12e3'; // the MCP server's app registration
export const ENTRA_CLIENT = '2d4d11a2-f814-46a7-890a-274a72a7309e'; // the MCP client's app registration

// One key per provider, with kids shaped like theirs.
export const keys = {
  entra: generateKey('RS256', { kid: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', seed: 'entra' }),
  auth0: generateKey('RS256', { kid: 'Rv3b2xQn6dQ1pX0cZ8aJ2', seed: 'auth0' }),
  keycloak: generateKey('RS256', { kid: 'Q0bV8w0y1zYv5CqK3rT7mW2nE9sU4xA6', seed: 'keycloak' }),
  okta: generateKey('RS256', { kid: 'Y8-7kPl9x2Q0m3Vt6Zr4', seed: 'okta' }),
  cognito: generateKey('RS256', { kid: 'abcdefghijklmnopqrsexample=', seed: 'cognito' }),
  clerk: generateKey('RS256', { kid: 'ins_2abcExample', seed: 'clerk' }),
  betterAuth: generateKey('EdDSA', { kid: 'a1b2c3d4e5' }),
  workos: generateKey('RS256', { kid: 'sso_oidc_key_pair_01EXAMPLE', seed: 'workos' }),
  logto: generateKey('ES384', { kid: 'logto-kid-1' }),
};

// The local stand-in for every provider's JWKS endpoint: path → key.
const jwksPaths = {
  '/entra/discovery/v2.0/keys': keys.entra,
  '/auth0/.well-known/jwks.json': keys.auth0,
  '/keycloak/realms/acme/protocol/openid-connect/certs': keys.keycloak,
  '/okta/oauth2/default/v1/keys': keys.okta,
  '/cognito/.well-known/jwks.json': keys.cognito,
  '/clerk/.well-known/jwks.json': keys.clerk,
  '/better-auth/api/auth/jwks': keys.betterAuth,
  '/workos/oauth2/jwks': keys.workos,
  '/logto/oidc/jwks': keys.logto,
};

let jwksServer;
const jwksUri = (path) => `${jwksServer.url}${path}`;

/** Inline metadata for a provider: its real issuer form, the local JWKS. */
export function authorizationServer(issuer, jwksPath, endpoints, extra = {}) {
  return {
    type: 'oidc',
    metadata: {
      issuer,
      jwksUri: jwksUri(jwksPath),
      authorizationEndpoint: endpoints.authorize,
      tokenEndpoint: endpoints.token,
      responseTypesSupported: ['code'],
      codeChallengeMethodsSupported: ['S256'],
    },
    ...extra,
  };
}

const servers = [];
/** One Express app per recipe: routes map a path to its bearerAuth options (`mode` picks the mode, default 'jwt'). */
export async function serveRecipe(authorizationServers, routes) {
  const events = [];
  const mcpAuth = new MCPAuth({
    protectedResources: { metadata: { resource: RESOURCE, authorizationServers } },
    onAuthEvent: (event) => events.push(event),
  });
  const server = await serveApp(express, (app) => {
    app.use(mcpAuth.protectedResourceMetadataRouter());
    for (const [path, { mode = 'jwt', ...options }] of Object.entries(routes)) {
      app.get(path, mcpAuth.bearerAuth(mode, { resource: RESOURCE, ...options }), (req, res) => res.json({ auth: req.auth }));
    }
  });
  servers.push(server);
  return { server, events };
}

export async function call({ server, events }, token, path = '/mcp') {
  const before = events.length;
  const response = await send(server, { path, headers: { Authorization: `Bearer ${token}` } });
  return { response, event: events.slice(before).find((e) => e.type === 'accepted' || e.type === 'rejected') };
}

export async function accepted(recipe, token, path) {
  const { response } = await call(recipe, token, path);
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body).auth;
}

/** 401 invalid_token, with the addon's code as the event reason. */
export async function refused(recipe, token, reason, path) {
  const { response, event } = await call(recipe, token, path);
  assert.equal(response.status, 401, response.body);
  const challenge = parseWwwAuthenticate(single(response, 'www-authenticate'));
  assert.equal(challenge.params.error, 'invalid_token');
  assert.equal(JSON.parse(response.body).error, 'invalid_token');
  assert.equal(event?.reason, reason);
  return challenge;
}

const now = nowSeconds();
/** iat, nbf, exp of a token issued now, valid one hour. */
export const times = { iat: now, nbf: now, exp: now + 3600 };

/** Call once per test file: starts the JWKS server before its tests, closes everything after. */
export function useProviderServers() {
  before(async () => {
      jwksServer = await startHttp((req, res) => {
      const key = jwksPaths[req.url];
      res.writeHead(key ? 200 : 404, { 'content-type': 'application/json' });
      res.end(key ? JSON.stringify(jwks(key)) : '{}');
    });
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await jwksServer?.close();
  });
}

