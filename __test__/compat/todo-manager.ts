// The todo-manager MCP server as the MCP Auth tutorial (Node.js, resource
// server mode) builds it: the same APIs, options and RBAC rules, with the
// only library change being the import from 'mcp-auth-rs'. For the test it
// reads the issuer, port and resource from the environment and reports the
// port it listens on.

import assert from 'node:assert';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { fetchServerConfig, MCPAuth, MCPAuthBearerAuthError } from 'mcp-auth-rs';
import { TodoService } from './todo-service.js';

const issuer = process.env.ISSUER ?? 'https://auth.example.com/oidc';
const resourceId = process.env.RESOURCE_ID ?? 'http://localhost:3001';
const port = Number(process.env.PORT ?? 3001);

const authServerConfig = await fetchServerConfig(issuer, { type: 'oidc' });
const mcpAuth = new MCPAuth({
  protectedResources: {
    metadata: {
      resource: resourceId,
      authorizationServers: [authServerConfig],
      scopesSupported: ['create:todos', 'read:todos', 'delete:todos'],
    },
  },
});

const todoService = new TodoService();

function userIdOf(authInfo?: AuthInfo): string {
  assert(authInfo?.subject, 'Invalid auth info');
  return authInfo.subject;
}

function grants(authInfo: AuthInfo | undefined, scope: string): boolean {
  return (authInfo?.scopes ?? []).includes(scope);
}

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

function createServer(): McpServer {
  const server = new McpServer({ name: 'Todo Manager', version: '0.0.0' });

  server.tool('create-todo', 'Create a new todo', { content: z.string() }, ({ content }, { authInfo }) => {
    const userId = userIdOf(authInfo);
    if (!grants(authInfo, 'create:todos')) throw new MCPAuthBearerAuthError('missing_required_scopes');
    return text(todoService.createTodo(content, userId));
  });

  // Readers with read:todos see everyone's todos; others only their own.
  server.tool('get-todos', 'List all todos', ({ authInfo }) => {
    const userId = userIdOf(authInfo);
    return text(todoService.getAllTodos(grants(authInfo, 'read:todos') ? undefined : userId));
  });

  // Owners may delete their own todos; delete:todos allows deleting any.
  server.tool('delete-todo', 'Delete a todo by id', { id: z.string() }, ({ id }, { authInfo }) => {
    const userId = userIdOf(authInfo);
    const todo = todoService.getTodoById(id);
    if (!todo || (todo.ownerId !== userId && !grants(authInfo, 'delete:todos'))) {
      return text({ error: 'Failed to delete todo' });
    }
    return text({ message: `Todo ${id} deleted`, details: todoService.deleteTodo(id) });
  });

  return server;
}

const app = express();
app.use(mcpAuth.protectedResourceMetadataRouter());
app.use(mcpAuth.bearerAuth('jwt', { resource: resourceId, audience: resourceId }));

app.post('/', async (request: Request, response: Response) => {
  const server = createServer();
  try {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, request.body);
  } catch (error) {
    console.error('Error handling MCP request:', error);
    if (!response.headersSent) {
      response.status(500).json({ jsonrpc: '2.0', error: { code: -32_603, message: 'Internal server error' }, id: null });
    }
  }
});

const methodNotAllowed = (_request: Request, response: Response) => {
  response.writeHead(405).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32_000, message: 'Method not allowed.' }, id: null }));
};
app.get('/', methodNotAllowed);
app.delete('/', methodNotAllowed);

const listener = app.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${(listener.address() as AddressInfo).port}`);
});
