// `npm run demo`: the whole MCP authorization flow on this machine, with real
// parts only. It starts
//   - an authorization server (oidc-provider, embedded, 127.0.0.1),
//   - the tutorial's todo manager protected by mcp-auth-rs (127.0.0.1),
// then signs in with the MCP SDK's OAuth client as "user" and as "admin",
// calls the tools, prints what happened, and checks the outcome.
// Exit status 0 when everything behaved as expected, 1 otherwise.
//
// `npm run demo -- --serve` keeps both servers running afterwards (ports
// 3001 and 3002 unless PORT / AS_PORT say otherwise) so you can connect the
// MCP Inspector.

import { performance } from 'node:perf_hooks';
import { startAuthorizationServer } from './authorization-server.mjs';
import { connectAs, formatEntry, Transcript } from './client.mjs';

// server.mjs imports the package itself ('mcp-auth-rs' → dist/), which exists after a build.
const { createTodoServer } = await import('./server.mjs').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  console.error(`${error.message}\nBuild the package first: npm run build`);
  process.exit(1);
});

const serve = process.argv.includes('--serve');
const started = performance.now();
const out = (line = '') => process.stdout.write(`${line}\n`);

const checks = [];
function expect(ok, description) {
  checks.push({ ok: Boolean(ok), description });
  out(`  ${ok ? '✔' : '✘'} ${description}`);
}

const servers = [];
let exitCode = 1;
try {
  const as = await startAuthorizationServer({ port: serve ? Number(process.env.AS_PORT ?? 3002) : 0 });
  servers.push(as);
  const todo = await createTodoServer({ issuer: as.issuer, port: serve ? Number(process.env.PORT ?? 3001) : 0 });
  servers.push(todo);
  as.addResource(todo.resource);

  out('mcp-auth-rs demo: the MCP Auth tutorial\'s todo manager, end to end on 127.0.0.1');
  out(`  authorization server  ${as.issuer}  (oidc-provider; accounts: user → create:todos, admin → all todo scopes)`);
  out(`  MCP server            ${todo.url}  (resource ${todo.resource}, protected by mcp-auth-rs)`);

  const transcript = new Transcript({ write: (entry) => out(formatEntry(entry)) });
  const section = (title) => transcript.add('section', `── ${title} ${'─'.repeat(Math.max(0, 66 - title.length))}`);

  // 1. user: the full flow from no token to a tool call.
  section('user signs in: 401 → metadata → registration → PKCE → token');
  const firstStep = transcript.entries.length;
  const user = await connectAs({ mcpUrl: todo.url, account: 'user', transcript });
  const userSteps = transcript.entries.slice(firstStep);
  const challenge = userSteps.find((e) => e.step === 'challenge');
  const prm = userSteps.find((e) => e.step === 'prm' && e.data.status === 200);
  expect(
    challenge?.data.status === 401 &&
      /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource"/.test(challenge.data.wwwAuthenticate),
    'no token: 401 with a resource_metadata challenge',
  );
  expect(
    prm?.data.body.resource === todo.resource && prm.data.body.authorization_servers?.[0] === as.issuer,
    'protected resource metadata names this resource and the authorization server',
  );
  expect(user.tokenClaims.scope === 'create:todos' && user.tokenClaims.aud === todo.resource, 'user token: scope create:todos, aud = the MCP server');
  const milk = await user.callTool('create-todo', { content: 'Buy milk' });
  expect(!milk.isError && milk.value?.ownerId === 'user', 'user creates a todo');

  // 2. admin.
  section('admin signs in');
  const admin = await connectAs({ mcpUrl: todo.url, account: 'admin', transcript });
  expect(admin.tokenClaims.scope === 'create:todos read:todos delete:todos', 'admin token: scope create:todos read:todos delete:todos');
  const review = await admin.callTool('create-todo', { content: 'Review the quarterly report' });
  expect(!review.isError && review.value?.ownerId === 'admin', 'admin creates a todo');

  // 3. What the user may do.
  section('user: own todos only');
  const userList = await user.callTool('get-todos');
  expect(sameIds(userList.value, [milk.value.id]), 'user sees only their own todo');
  const denied = await user.callTool('delete-todo', { id: review.value.id });
  expect(denied.value?.error === 'Failed to delete todo' && todo.todoService.getTodoById(review.value.id), "user cannot delete admin's todo");
  const plants = await user.callTool('create-todo', { content: 'Water the plants' });
  const ownDelete = await user.callTool('delete-todo', { id: plants.value.id });
  expect(ownDelete.value?.message === `Todo ${plants.value.id} deleted`, 'user deletes their own todo');

  // 4. What the admin may do.
  section('admin: all todos');
  const adminList = await admin.callTool('get-todos');
  expect(sameIds(adminList.value, [milk.value.id, review.value.id]), 'admin sees every todo');
  const adminDelete = await admin.callTool('delete-todo', { id: milk.value.id });
  expect(adminDelete.value?.details?.ownerId === 'user', "admin deletes the user's todo");
  const userAfter = await user.callTool('get-todos');
  expect(Array.isArray(userAfter.value) && userAfter.value.length === 0, 'user now has no todos');

  await user.close();
  await admin.close();

  const failed = checks.filter((check) => !check.ok);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  out();
  out(
    failed.length === 0
      ? `All ${checks.length} checks passed in ${seconds} s.`
      : `${failed.length} of ${checks.length} checks FAILED (${seconds} s): ${failed.map((c) => c.description).join('; ')}`,
  );
  exitCode = failed.length === 0 ? 0 : 1;

  if (serve) {
    printInspectorHelp(todo, as);
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (error) {
  out();
  out(`Demo failed: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await Promise.all(servers.map((server) => server.close()));
}
process.exit(exitCode);

function sameIds(todos, ids) {
  return Array.isArray(todos) && todos.length === ids.length && ids.every((id) => todos.some((t) => t.id === id));
}

function printInspectorHelp(todo, as) {
  out();
  out('Servers keep running (Ctrl+C to stop):');
  out(`  MCP server            ${todo.url}`);
  out(`  authorization server  ${as.issuer}`);
  out();
  out('Connect the MCP Inspector:');
  out('  npx @modelcontextprotocol/inspector');
  out(`  then in its page: transport "Streamable HTTP", URL ${todo.url}, Connect.`);
  out('  The Inspector gets the 401, discovers the authorization server, registers itself and');
  out('  opens the demo login page: pick "user" or "admin", then call the tools.');
  out(`  Use ${new URL(todo.url).host} exactly (not localhost): the resource is ${todo.resource}.`);
}
