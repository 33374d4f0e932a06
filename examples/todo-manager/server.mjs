// The todo manager from the MCP Auth tutorial on MCP SDK v2, protected by
// mcp-auth-rs. Serves protocol 2026-07-28 and 2025-era clients on one endpoint.
//
// Tools: create-todo, get-todos, delete-todo, and `about` (public with `perTool`).
// Rules, decided from the token:
//   - create-todo needs the `create:todos` scope; the todo belongs to the token's subject.
//   - get-todos returns every todo with `read:todos`, otherwise only the caller's own.
//   - delete-todo deletes the caller's own todo, or anyone's with `delete:todos`;
//     without it, deleting anything else is answered with HTTP 403
//     insufficient_scope, scope="delete:todos" (a step-up challenge).
//   - with `perTool` (PER_TOOL=1): per-tool authorization. `about` and the
//     discovery methods (connect, list tools) need no token; the other tools
//     do, so OAuth starts at the first call of one (docs/per-tool-authorization.md).
//
// Run it against any OpenID Provider / OAuth 2.1 authorization server:
//   ISSUER=https://your-tenant.example/oidc RESOURCE=http://localhost:3001 node examples/todo-manager/server.mjs
// Environment: ISSUER (required), ISSUER_TYPE (oidc | oauth, default oidc),
// RESOURCE (default http://127.0.0.1:$PORT), PORT (default 3001), HOST (default 127.0.0.1),
// MODE (jwt | introspection | auto, default jwt) with INTROSPECTION_CLIENT_ID and
// INTROSPECTION_CLIENT_SECRET (this server's client at the AS) for the last two,
// DPOP (allowed | required | off, default allowed), PER_TOOL (1: per-tool authorization).

import assert from 'node:assert';
import express from 'express';
import { createMcpHandler, fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { fetchServerConfig, isCorsPreflight, MCPAuth, MCPAuthBearerAuthError } from 'mcp-auth-rs';
import { isMain, listen } from './listen.mjs';
import { TodoService } from './todo-service.mjs';
/** @import { CallToolResult, ScopeChallengeHandler, ServerContext, StandardSchemaWithJSON } from '@modelcontextprotocol/server' */

export const TODO_SCOPES = Object.freeze(['create:todos', 'read:todos', 'delete:todos']);

/**
 * The per-tool declaration of `perTool` mode: `about` is public, create-todo
 * needs create:todos (so its 401 already names that scope), every other tool
 * gets `default` ('protected': a valid token; the tools check the rest
 * themselves, as without per-tool authorization). Discovery stays public.
 */
export const PER_TOOL_OPERATIONS = Object.freeze({ tools: Object.freeze({ about: 'public', 'create-todo': ['create:todos'] }) });

/**
 * Starts the todo manager on `host:port` (port 0 picks a free one).
 * `resource` defaults to the server's own origin + `path`, e.g. http://127.0.0.1:3001;
 * the MCP endpoint is the resource's path (`/` for an origin).
 *
 * `mode` picks how tokens are checked: 'jwt' (default; local signature checks),
 * 'introspection' (every token asked about at the AS's RFC 7662 endpoint, with
 * `introspection: { clientId, clientSecret }`, this server's own client), or
 * 'auto' (a JWT from the AS locally, anything else introspected).
 * `dpop` is the resource's DPoP mode (RFC 9449): 'allowed' (default),
 * 'required' or 'off'. `perTool: true` declares PER_TOOL_OPERATIONS (an
 * anonymous client may connect, list tools and call `about`).
 *
 * @param {{ issuer: string, issuerType?: 'oidc' | 'oauth', resource?: string,
 *   path?: string, port?: number, host?: string, mode?: 'jwt' | 'introspection' | 'auto',
 *   introspection?: { clientId: string, clientSecret?: string }, dpop?: 'off' | 'allowed' | 'required',
 *   perTool?: boolean }} options
 * @returns {Promise<{ url: string, resource: string, port: number,
 *   todoService: TodoService, close: () => Promise<void> }>}
 */
export async function createTodoServer({
  issuer,
  issuerType = 'oidc',
  resource,
  path = '',
  port = 3001,
  host = '127.0.0.1',
  mode = 'jwt',
  introspection,
  dpop,
  perTool = false,
}) {
  if (!issuer) throw new TypeError('createTodoServer needs the authorization server `issuer`.');
  const http = await listen({ host, port });
  try {
    const resourceId = resource ?? `${http.origin}${path}`;
    const mcpPath = new URL(resourceId).pathname;

    // Discover the authorization server (its JWKS, endpoints) and describe this resource.
    const authServerConfig = await fetchServerConfig(issuer, { type: issuerType });
    const mcpAuth = new MCPAuth({
      protectedResources: {
        metadata: {
          resource: resourceId,
          authorizationServers: [authServerConfig],
          scopesSupported: [...TODO_SCOPES],
          resourceName: 'Todo Manager',
        },
        ...(dpop === undefined ? {} : { dpop }),
      },
    });

    const todoService = new TodoService();
    const app = express();
    app.disable('x-powered-by');
    app.use(allowBrowserClients);
    // Public: GET /.well-known/oauth-protected-resource[<path>] (RFC 9728).
    app.use(mcpAuth.protectedResourceMetadataRouter());
    // Everything else needs an access token issued by `issuer` for this resource
    // (with perTool: every operation but the public ones).
    const auth = mcpAuth.bearerAuth(mode, {
      resource: resourceId,
      audience: resourceId,
      ...(introspection ? { introspection } : {}),
      ...(perTool ? { operations: PER_TOOL_OPERATIONS } : {}),
    });
    app.use(auth);

    // SDK v2: one handler for both eras. 2026-07-28 requests are served
    // per request; 2025-era ones (initialize first) go to the SDK's stateless
    // legacy fallback. A fresh McpServer per request either way, so every tool
    // sees the token of its own request (ctx.http.authInfo, from req.auth).
    const mcpHandler = createMcpHandler(() => createMcpServer(todoService, perTool ? auth : undefined), {
      onerror: (error) => {
        if (process.env.MCP_DEBUG) console.error('MCP handler:', error);
      },
    });
    const serveMcp = toNodeHandler(mcpHandler);
    // With perTool, bearerAuth has read the body already and left it in
    // request.body (express.json() then keeps it): hand it to the transport.
    app.all(mcpPath, express.json(), (request, response) => serveMcp(request, response, request.body));

    http.handle(app);
    return {
      url: new URL(mcpPath, resourceId).href,
      resource: resourceId,
      port: http.port,
      todoService,
      close: async () => {
        await mcpHandler.close();
        await http.close();
      },
    };
  } catch (error) {
    await http.close();
    throw error;
  }
}

// `auth` (perTool): the bearerAuth middleware, whose toolMeta() puts each
// tool's securitySchemes into its descriptor's `_meta` (OpenAI Apps SDK).
function createMcpServer(todoService, auth) {
  const server = new McpServer({ name: 'Todo Manager', version: '0.0.0' });
  const meta = (name) => (auth ? { _meta: auth.toolMeta(name) } : {});

  if (auth) {
    server.registerTool('about', { description: 'What this server is; no sign-in needed', ...meta('about') }, (/** @type {ServerContext} */ ctx) => {
      // A public tool still sees the caller when a valid token came along.
      const subject = ctx.http?.authInfo?.subject;
      return text({ name: 'Todo Manager', tools: ['about', 'create-todo', 'get-todos', 'delete-todo'], signedInAs: subject ?? null });
    });
  }

  server.registerTool(
    'create-todo',
    { description: 'Create a new todo', inputSchema: objectOf({ content: { type: 'string' } }), ...meta('create-todo') },
    ({ content }, ctx) => {
      const authInfo = ctx.http?.authInfo;
      const userId = assertUserId(authInfo);
      if (!hasRequiredScopes(authInfo?.scopes ?? [], ['create:todos'])) {
        throw new MCPAuthBearerAuthError('missing_required_scopes');
      }
      const createdTodo = todoService.createTodo({ content, ownerId: userId });
      return text(createdTodo);
    },
  );

  server.registerTool('get-todos', { description: 'List all todos', ...meta('get-todos') }, (/** @type {ServerContext} */ ctx) => {
    const authInfo = ctx.http?.authInfo;
    const userId = assertUserId(authInfo);
    // With read:todos every todo is visible; without it, only the caller's.
    const ownerFilter = hasRequiredScopes(authInfo?.scopes ?? [], ['read:todos']) ? undefined : userId;
    return text(todoService.getAllTodos(ownerFilter));
  });

  server.registerTool(
    'delete-todo',
    {
      description: 'Delete a todo by id',
      inputSchema: objectOf({ id: { type: 'string' } }),
      // Deleting anything but your own todo needs delete:todos: the SDK
      // answers HTTP 403 insufficient_scope before the tool runs, so the
      // client can step up (re-authorize for that scope) and retry.
      scopeChallenge: deleteTodoScopeChallenge(todoService),
      ...meta('delete-todo'),
    },
    ({ id }, ctx) => {
      const authInfo = ctx.http?.authInfo;
      const userId = assertUserId(authInfo);
      const todo = todoService.getTodoById(id);
      // Checked again here: the challenge is the HTTP-level answer, this is the rule.
      // Same answer for "no such todo" and "not yours", so ids of others' todos are not confirmed.
      if (!todo || (todo.ownerId !== userId && !hasRequiredScopes(authInfo?.scopes ?? [], ['delete:todos']))) {
        return text({ error: 'Failed to delete todo' });
      }
      const deletedTodo = todoService.deleteTodo(id);
      return text({ message: `Todo ${id} deleted`, details: deletedTodo });
    },
  );

  return server;
}

/**
 * The ScopeChallengeHandler of delete-todo: it sees the JSON-RPC request (so
 * the todo id) and the verified token. Anything that is not the caller's own
 * todo, including an id that does not exist, needs delete:todos; challenging
 * unknown ids too keeps the 403 from confirming which ids exist.
 *
 * @returns {ScopeChallengeHandler}
 */
export function deleteTodoScopeChallenge(todoService) {
  return ({ request, authInfo }) => {
    if (!authInfo) return undefined; // no token: bearerAuth's 401 already answered
    const id = /** @type {{ id?: unknown } | undefined} */ (request.params?.arguments)?.id;
    if (typeof id !== 'string') return undefined; // the tool's input validation answers
    if (todoService.getTodoById(id)?.ownerId === authInfo.subject) return undefined;
    if (hasRequiredScopes(authInfo.scopes ?? [], ['delete:todos'])) return undefined;
    return { scopes: ['delete:todos'], errorDescription: "Deleting another user's todo needs delete:todos" };
  };
}

// `req.auth`, as set by bearerAuth, reaches tools as `ctx.http.authInfo`.
function assertUserId(authInfo) {
  const subject = authInfo?.subject;
  assert(subject, 'Invalid auth info');
  return subject;
}

function hasRequiredScopes(userScopes, requiredScopes) {
  return requiredScopes.every((scope) => userScopes.includes(scope));
}

// Tool input schemas as JSON Schema, validated by the SDK (no zod version coupling).
/**
 * @template {Record<string, { type: 'string' }>} P
 * @param {P} properties string properties, all required
 * @returns {StandardSchemaWithJSON<Record<keyof P, string>>}
 */
function objectOf(properties) {
  return fromJsonSchema({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });
}

/** @returns {CallToolResult} */
function text(value) {
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

// CORS, so browser-based clients (the MCP Inspector in direct mode) can call
// the MCP endpoint and read the challenge. The metadata router answers its own
// preflights, and bearerAuth lets preflights through without a token.
function allowBrowserClients(request, response, next) {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version');
  if (isCorsPreflight(request)) {
    response.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
    response.setHeader(
      'Access-Control-Allow-Headers',
      'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID',
    );
    response.setHeader('Access-Control-Max-Age', '600');
    response.status(204).end();
    return;
  }
  next();
}

if (isMain(import.meta.url)) {
  const { ISSUER, ISSUER_TYPE = 'oidc', RESOURCE, PORT = '3001', HOST = '127.0.0.1', MODE = 'jwt', DPOP, PER_TOOL } = process.env;
  const { INTROSPECTION_CLIENT_ID: clientId, INTROSPECTION_CLIENT_SECRET: clientSecret } = process.env;
  if (!ISSUER) {
    console.error('Set ISSUER to your authorization server issuer URL (see examples/todo-manager/README.md).');
    process.exit(2);
  }
  const server = await createTodoServer({
    issuer: ISSUER,
    issuerType: /** @type {'oidc' | 'oauth'} */ (ISSUER_TYPE),
    resource: RESOURCE,
    port: Number(PORT),
    host: HOST,
    mode: /** @type {'jwt' | 'introspection' | 'auto'} */ (MODE),
    ...(DPOP ? { dpop: /** @type {'off' | 'allowed' | 'required'} */ (DPOP) } : {}),
    perTool: PER_TOOL === '1',
    ...(clientId ? { introspection: { clientId, clientSecret } } : {}),
  });
  console.log(`Todo Manager MCP server: ${server.url}`);
  console.log(`  resource ${server.resource}, authorization server ${ISSUER}`);
}
