// A handler's own 403 insufficient_scope under DPoP (issue 20, item 13):
// SDK v2 writes it as a `Bearer` challenge only (bearerAuthChallengeResponse,
// which its per-operation scope challenges use). On a resource that takes
// DPoP, the Express, Hono and Fastify adapters rewrite it per RFC 9449 §7.1
// (and exposeWwwAuthenticate(response, auth) for web-standard handlers):
// every accepted scheme offered, the error in the one the request used, the
// handler's scope and description kept. On the wire, with the SDK's own
// response builder.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { bearerAuthChallengeResponse, OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { MCPAuth, exposeWwwAuthenticate } from 'mcp-auth-rs';
import * as honoAuth from 'mcp-auth-rs/hono';
import * as fastifyAuth from 'mcp-auth-rs/fastify';
import { generateKey, signJwt, claims } from './helpers/keys.mjs';
import { dpopKey, proof } from './helpers/dpop.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { startHttp, headerValues, parseWwwAuthenticateAll } from './helpers/http.mjs';
import { serveApp, send } from './helpers/app.mjs';

const ORIGIN = 'https://mcp.example.com';
const ALLOWED = `${ORIGIN}/allowed`;
const REQUIRED = `${ORIGIN}/required`;
const OFF = `${ORIGIN}/off`;
const RESOURCES = { '/allowed': ALLOWED, '/required': REQUIRED, '/off': OFF };
const prmOf = (resource) => `${ORIGIN}/.well-known/oauth-protected-resource${new URL(resource).pathname}`;

const asKey = generateKey('ES256', { kid: 'step-up-as' });
const holder = dpopKey();
let as;
let mcpAuth;

// What SDK v2 answers for a tool whose scopeChallenge asks for mcp:write.
const sdkScopeChallenge = (resource) =>
  bearerAuthChallengeResponse(new OAuthError(OAuthErrorCode.InsufficientScope, 'Writing needs mcp:write'), {
    requiredScopes: ['mcp:write'],
    resourceMetadataUrl: prmOf(resource),
  });

const SERVERS = {
  // The SDK's Node bridge writes the Response with writeHead(status, headers).
  express: () =>
    serveApp(express, (app) => {
      for (const [path, resource] of Object.entries(RESOURCES)) {
        const answer = toNodeHandler({ fetch: async () => sdkScopeChallenge(resource) });
        app.get(path, mcpAuth.bearerAuth('jwt', { resource }), (req, res) => answer(req, res));
      }
    }),
  // A middleware wrapping res.writeHead (as on-headers, under compression or
  // morgan, does) before bearerAuth, or between it and the handler.
  'express, a writeHead wrapper before bearerAuth': () => serveExpressWrapped('before'),
  'express, a writeHead wrapper after bearerAuth': () => serveExpressWrapped('after'),
  hono: () => {
    const app = new Hono();
    for (const [path, resource] of Object.entries(RESOURCES)) {
      app.get(path, honoAuth.bearerAuth(mcpAuth, 'jwt', { resource }), () => sdkScopeChallenge(resource));
    }
    return startHttp(getRequestListener(app.fetch));
  },
  // The SDK's Node bridge on reply.raw (the handler takes the response over).
  'fastify, SDK handler on reply.raw': () =>
    serveFastify((resource) => {
      const answer = toNodeHandler({ fetch: async () => sdkScopeChallenge(resource) });
      return async (request, reply) => {
        reply.hijack();
        await answer(request.raw, reply.raw);
      };
    }),
  // Fastify's own reply, carrying the SDK's challenge.
  'fastify, reply.send': () =>
    serveFastify((resource) => async (request, reply) => {
      const response = sdkScopeChallenge(resource);
      return reply.code(response.status).header('WWW-Authenticate', response.headers.get('www-authenticate')).send(await response.text());
    }),
  // The documented web-standard pattern: the handler's Response through exposeWwwAuthenticate(response, auth).
  'web-standard': () => {
    const gates = Object.fromEntries(Object.entries(RESOURCES).map(([path, resource]) => [path, mcpAuth.webBearerAuth('jwt', { resource })]));
    return startHttp(
      getRequestListener(async (request) => {
        const path = new URL(request.url).pathname;
        const auth = await gates[path](request);
        if (auth instanceof Response) return auth;
        return exposeWwwAuthenticate(sdkScopeChallenge(RESOURCES[path]), auth);
      }),
    );
  },
};

function wrapWriteHead(req, res, next) {
  const writeHead = res.writeHead;
  res.writeHead = function (...args) {
    return writeHead.apply(this, args);
  };
  next();
}

function serveExpressWrapped(where) {
  return serveApp(express, (app) => {
    for (const [path, resource] of Object.entries(RESOURCES)) {
      const answer = toNodeHandler({ fetch: async () => sdkScopeChallenge(resource) });
      const gate = mcpAuth.bearerAuth('jwt', { resource });
      const chain = where === 'before' ? [wrapWriteHead, gate] : [gate, wrapWriteHead];
      app.get(path, ...chain, (req, res) => answer(req, res));
    }
  });
}

async function serveFastify(handlerFor) {
  let handle;
  const app = Fastify({ serverFactory: (handler) => ((handle = handler), http.createServer()) });
  for (const [path, resource] of Object.entries(RESOURCES)) {
    app.get(path, { onRequest: fastifyAuth.bearerAuth(mcpAuth, 'jwt', { resource }) }, handlerFor(resource));
  }
  await app.ready();
  const server = await startHttp(handle);
  return { ...server, close: async () => (await server.close(), await app.close()) };
}

const tokenFor = (resource, bound) =>
  signJwt(claims({ issuer: as.issuer, audience: resource, scope: 'mcp:read', ...(bound ? { cnf: { jkt: holder.jkt } } : {}) }), asKey);

before(async () => {
  as = await startAuthServer({ keys: [asKey] });
  const authorizationServers = [{ issuer: as.issuer, type: 'oidc' }];
  mcpAuth = new MCPAuth({
    protectedResources: [
      { metadata: { resource: ALLOWED, authorizationServers } },
      { metadata: { resource: REQUIRED, authorizationServers }, dpop: 'required' },
      { metadata: { resource: OFF, authorizationServers }, dpop: 'off' },
    ],
  });
});
after(() => as?.close());

for (const [label, start] of Object.entries(SERVERS)) {
  describe(`a handler's 403 insufficient_scope under DPoP (${label})`, () => {
    let server;
    before(async () => {
      server = await start();
    });
    after(() => server?.close());

    async function challengesOf(path, scheme) {
      const resource = RESOURCES[path];
      const token = tokenFor(resource, scheme === 'DPoP');
      const headers = [['Authorization', `${scheme} ${token}`]];
      if (scheme === 'DPoP') headers.push(['DPoP', proof(holder, { htu: resource, token })]);
      const res = await send(server, { path, headers });
      assert.equal(res.status, 403, res.body);
      const values = headerValues(res.headers, 'www-authenticate');
      assert.equal(values.length, 1);
      return parseWwwAuthenticateAll(values[0]);
    }

    function assertChallenges(challenges, resource, schemes, errored) {
      assert.deepEqual(challenges.map((c) => c.scheme), schemes);
      assert.deepEqual(challenges.filter((c) => c.params.error).map((c) => c.scheme), [errored]);
      const withError = challenges.find((c) => c.params.error);
      assert.equal(withError.params.error, 'insufficient_scope');
      assert.equal(withError.params.error_description, 'Writing needs mcp:write');
      for (const challenge of challenges) {
        assert.equal(challenge.params.scope, 'mcp:write');
        assert.equal(challenge.params.resource_metadata, prmOf(resource));
      }
    }

    it("dpop: 'required', a DPoP request: the error is in the DPoP challenge, Bearer is not offered", async () => {
      assertChallenges(await challengesOf('/required', 'DPoP'), REQUIRED, ['DPoP'], 'DPoP');
    });

    it("dpop: 'allowed': both schemes offered, the error in the one the request used", async () => {
      assertChallenges(await challengesOf('/allowed', 'DPoP'), ALLOWED, ['Bearer', 'DPoP'], 'DPoP');
      assertChallenges(await challengesOf('/allowed', 'Bearer'), ALLOWED, ['Bearer', 'DPoP'], 'Bearer');
    });

    it("dpop: 'off': the handler's Bearer challenge is left as it is", async () => {
      assertChallenges(await challengesOf('/off', 'Bearer'), OFF, ['Bearer'], 'Bearer');
    });
  });
}
