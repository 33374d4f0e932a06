// Every adapter of the package, serving the same routes over real HTTP on
// 127.0.0.1: Express 5 and 4 (bearerAuth + protectedResourceMetadataRouter),
// a plain web-standard fetch handler (webBearerAuth +
// protectedResourceMetadataResponse, served the way Bun.serve/Deno.serve
// would, through @hono/node-server's Request/Response bridge), Hono and
// Fastify. Tests run one table against all of them.
//
// A route: { path, methods: ['GET', …] or 'ALL', mode ('jwt' or a verifier),
// options, reply: 'echo' | 'headers' | 204 }. 'echo' answers the accepted
// AuthInfo's subject, scopes and clientId as JSON; 'headers' the
// Authorization header the handler still sees.

import http from 'node:http';
import { getRequestListener } from '@hono/node-server';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { exposeWwwAuthenticate } from 'mcp-auth-rs';
import * as honoAuth from 'mcp-auth-rs/hono';
import * as fastifyAuth from 'mcp-auth-rs/fastify';
import { EXPRESS_VERSIONS, serveApp } from './app.mjs';
import { startHttp } from './http.mjs';

const echoOf = (auth) => ({ authenticated: true, sub: auth.subject, scopes: auth.scopes, clientId: auth.clientId });
const methodsOf = (route) => (route.methods === 'ALL' ? ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] : route.methods);

function express(expressFactory) {
  return (mcpAuth, routes) =>
    serveApp(expressFactory, (app) => {
      app.use(mcpAuth.protectedResourceMetadataRouter());
      for (const route of routes) {
        const gate = mcpAuth.bearerAuth(route.mode, route.options);
        const reply = route.reply === 'echo' ? (req, res) => res.json(echoOf(req.auth)) : (req, res) => res.status(204).end();
        // Body parsers first, as users mount them: a token in a body must still be ignored.
        const parsers = [expressFactory.urlencoded({ extended: false }), expressFactory.json()];
        for (const method of methodsOf(route)) app[method.toLowerCase()](route.path, ...parsers, gate, reply);
      }
    });
}

/** A Workers/Bun/Deno-style `fetch(request)` handler, on Node. */
export function webHandler(mcpAuth, routes) {
  const gated = routes.map((route) => ({ ...route, gate: mcpAuth.webBearerAuth(route.mode, route.options) }));
  return async (request) => {
    const metadata = mcpAuth.protectedResourceMetadataResponse(request);
    if (metadata) return metadata;
    const { pathname } = new URL(request.url);
    const route = gated.find((r) => r.path === pathname && methodsOf(r).includes(request.method));
    if (!route) return new Response('not found', { status: 404 });
    const auth = await route.gate(request);
    if (auth instanceof Response) return auth;
    // `undefined`: a CORS preflight, which the app's CORS handling answers.
    const response =
      route.reply === 'headers' ? Response.json({ authorization: request.headers.get('authorization') })
      : route.reply === 'echo' && auth ? Response.json(echoOf(auth))
      : new Response(null, { status: 204 });
    return exposeWwwAuthenticate(response, auth);
  };
}

function web(mcpAuth, routes) {
  return startHttp(getRequestListener(webHandler(mcpAuth, routes)));
}

function hono(mcpAuth, routes) {
  const app = new Hono();
  app.use(honoAuth.protectedResourceMetadata(mcpAuth));
  for (const route of routes) {
    const gate = honoAuth.bearerAuth(mcpAuth, route.mode, route.options);
    const reply =
      route.reply === 'headers' ? (c) => c.json({ authorization: c.req.header('authorization') ?? null })
      : route.reply === 'echo' ? (c) => c.json(echoOf(c.get('auth')))
      : (c) => c.body(null, 204);
    app.on(methodsOf(route), route.path, gate, reply);
  }
  // As `serve` from @hono/node-server does; startHttp adds the socket bookkeeping tests need.
  return startHttp(getRequestListener(app.fetch));
}

async function fastify(mcpAuth, routes) {
  // Fastify's own request handler, on a server of startHttp's (socket bookkeeping, 127.0.0.1).
  let handle;
  const app = Fastify({ serverFactory: (handler) => ((handle = handler), http.createServer()) });
  await app.register(fastifyAuth.protectedResourceMetadata(mcpAuth));
  // Bodies of any type are read (and ignored) like Express's parsers do.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => done(null, body));
  for (const route of routes) {
    const onRequest = fastifyAuth.bearerAuth(mcpAuth, route.mode, route.options);
    const handler =
      route.reply === 'headers' ? async (request) => ({ authorization: request.headers.authorization ?? null })
      : route.reply === 'echo' ? async (request) => echoOf(request.auth)
      : async (request, reply) => reply.code(204).send();
    app.route({ method: methodsOf(route), url: route.path, onRequest, handler });
  }
  await app.ready();
  const server = await startHttp(handle);
  return { ...server, close: async () => (await server.close(), await app.close()) };
}

/** Adapter label → `(mcpAuth, routes) => Promise<{ port, url, close }>`. */
export const ADAPTERS = Object.freeze({
  ...Object.fromEntries(Object.entries(EXPRESS_VERSIONS).map(([label, factory]) => [label, express(factory)])),
  'web-standard': web,
  hono,
  fastify,
});
