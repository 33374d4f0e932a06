// Every adapter of the package, serving the same routes over real HTTP on
// 127.0.0.1: Express 5 and 4 (bearerAuth + protectedResourceMetadataRouter),
// a plain web-standard fetch handler (webBearerAuth +
// protectedResourceMetadataResponse, served the way Bun.serve/Deno.serve
// would, through @hono/node-server's Request/Response bridge), Hono and
// Fastify. Tests run one table against all of them. PYTHON_ADAPTERS serves
// the same routes with the Python package under uvicorn (a child process).
//
// A route: { path, methods: ['GET', …] or 'ALL', mode ('jwt' or a verifier),
// options, reply: 'echo' | 'headers' | 204 }. 'echo' answers the accepted
// AuthInfo's subject, scopes and clientId as JSON; 'headers' the
// Authorization header the handler still sees.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

// ---------------------------------------------------------------- Python

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The venv `npm run build:python` makes (scripts/python-build.sh), the native module built into it. */
export const PYTHON = path.join(ROOT, 'target/py-venv/bin/python');
const PYTHON_APP = path.join(ROOT, 'python/tests/conformance_app.py');

// The Node option names the tables use → mcp_auth_rs's keyword arguments.
const PY_OPTIONS = { resource: 'resource', requiredScopes: 'required_scopes', jwtVerify: 'jwt_verify' };
const PY_JWT_VERIFY = {
  algorithms: 'algorithms',
  clockTolerance: 'clock_tolerance',
  maxTokenAge: 'max_token_age',
  requiredClaims: 'required_claims',
  typ: 'typ',
};

function renamed(options, names, where) {
  return Object.fromEntries(
    Object.entries(options ?? {}).map(([name, value]) => {
      const pyName = names[name];
      if (!pyName) throw new Error(`the Python adapter has no mapping for ${where}.${name}`);
      return [pyName, name === 'jwtVerify' ? renamed(value, PY_JWT_VERIFY, 'jwtVerify') : value];
    }),
  );
}

/** A route for the Python program: a verifier function must name its Python twin (`fn.python`). */
function pythonRoute(route) {
  const mode = route.mode === 'jwt' ? 'jwt' : route.mode?.python;
  if (!mode) throw new Error(`the Python adapter cannot run mode ${String(route.mode)} on ${route.path}`);
  return { path: route.path, methods: route.methods, mode, reply: route.reply, options: renamed(route.options, PY_OPTIONS, 'options') };
}

/**
 * The routes on mcp_auth_rs (Starlette + uvicorn, python/tests/conformance_app.py).
 * `config` ({ issuer, resource, scopesSupported, dpop? }) describes what `mcpAuth` was
 * built from, since the Node instance cannot cross the process boundary.
 */
export async function python(_mcpAuth, routes, config) {
  if (!config?.issuer || !config.resource) throw new Error('the Python adapter needs { issuer, resource, scopesSupported }');
  for (const file of [PYTHON, PYTHON_APP]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build:python\` first`);
  }
  const description = {
    issuer: config.issuer,
    resource: config.resource,
    scopes_supported: config.scopesSupported ?? null,
    dpop: config.dpop ?? null,
    routes: routes.map(pythonRoute),
  };
  const child = spawn(PYTHON, [PYTHON_APP, JSON.stringify(description)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the Python app was not ready within 30 s:\n${stderr}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const ready = /^READY (\d+)$/m.exec(stdout);
      if (ready) (clearTimeout(timer), resolve(Number(ready[1])));
    });
    // `import mcp_auth_rs` failing (module not built) lands here, with Python's message.
    exited.then(({ code, signal }) => (clearTimeout(timer), reject(new Error(`the Python app exited (${code ?? signal}):\n${stderr}`))));
  });
  let closing = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    // uvicorn answers some requests itself, before the app (see conformance.test.mjs).
    runtime: 'uvicorn',
    stderr: () => stderr,
    close() {
      // End of stdin is the program's signal to stop; SIGKILL if it does not within 5 s.
      closing ??= (async () => {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

/** Adapter label → `(mcpAuth, routes, config) => Promise<{ port, url, close }>`, other languages. */
export const PYTHON_ADAPTERS = Object.freeze({ 'python (uvicorn, ASGI)': python });
