// `npm run demo`: the whole MCP authorization flow on this machine, with real
// parts only. It starts
//   - an authorization server (oidc-provider, embedded, 127.0.0.1),
//   - the tutorial's todo manager on MCP SDK v2, protected by mcp-auth-rs (127.0.0.1),
// then signs in with the SDK v2 client's OAuth support as "user" and as
// "admin" (protocol 2026-07-28), calls the tools, steps up on a 403
// insufficient_scope (refused, then granted after a policy change), refreshes
// an unusable access token, serves a 2025-11-25 client, prints what happened
// and checks the outcome. Exit status 0 when everything behaved as expected.
//
// `npm run demo -- --serve` starts both servers with the starting account
// policy instead (ports 3001 and 3002 unless PORT / AS_PORT say otherwise)
// and keeps them running for your own client (the MCP Inspector, say);
// --dpop, --tokens and --mode choose their setup (demo-options.mjs).

import { performance } from 'node:perf_hooks';
import { startAuthorizationServer } from './authorization-server.mjs';
import { challengeParams, connectAs, formatEntry, Transcript } from './client.mjs';
import { DEMO_USAGE, DemoUsageError, parseDemoOptions, serveHelp } from './demo-options.mjs';

let options;
try {
  options = parseDemoOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof DemoUsageError)) throw error;
  console.error(`${error.message}\n\n${DEMO_USAGE}`);
  process.exit(2);
}

// server.mjs imports the package itself ('mcp-auth-rs' → dist/), which exists after a build.
const { createTodoServer } = await import('./server.mjs').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  console.error(`${error.message}\nBuild the package first: npm run build (npm run demo does it when dist/ is missing)`);
  process.exit(1);
});

const started = performance.now();
const out = (line = '') => process.stdout.write(`${line}\n`);

const checks = [];
function expect(ok, description) {
  checks.push({ ok: Boolean(ok), description });
  out(`  ${ok ? '✔' : '✘'} ${description}`);
}

const servers = [];
const sessions = [];
let exitCode = 1;
if (options.serve) {
  try {
    await serveUntilStopped(options);
    exitCode = 0;
  } catch (error) {
    out(`Could not start the demo servers: ${error?.stack ?? error}`);
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
  process.exit(exitCode);
}
try {
  const as = await startAuthorizationServer({ port: 0 });
  servers.push(as);
  const todo = await createTodoServer({ issuer: as.issuer, port: 0 });
  servers.push(todo);
  as.addResource(todo.resource);

  out("mcp-auth-rs demo: the MCP Auth tutorial's todo manager on MCP SDK v2, end to end on 127.0.0.1");
  out(`  authorization server  ${as.issuer}  (oidc-provider; accounts: user → create:todos, admin → all todo scopes)`);
  out(`  MCP server            ${todo.url}  (resource ${todo.resource}, protected by mcp-auth-rs)`);

  const transcript = new Transcript({ write: (entry) => out(formatEntry(entry)) });
  const section = (title) => transcript.add('section', `── ${title} ${'─'.repeat(Math.max(0, 66 - title.length))}`);
  const since = (index, step) => transcript.entries.slice(index).filter((e) => e.step === step);

  // 1. user: the full flow from no token to a tool call, on protocol 2026-07-28.
  section('user signs in: 401 → metadata → registration → PKCE → token');
  const firstStep = transcript.entries.length;
  const user = await connectAs({ mcpUrl: todo.url, account: 'user', transcript });
  sessions.push(user);
  const [challenge] = since(firstStep, 'challenge');
  const prm = since(firstStep, 'prm').find((e) => e.data.status === 200);
  const resourceMetadata = challengeParams(challenge?.data.wwwAuthenticate).resource_metadata;
  expect(
    challenge?.data.status === 401 && resourceMetadata === `${todo.resource}/.well-known/oauth-protected-resource`,
    'no token: 401 with a resource_metadata challenge',
  );
  expect(
    prm?.data.body.resource === todo.resource && prm.data.body.authorization_servers?.[0] === as.issuer,
    'protected resource metadata names this resource and the authorization server',
  );
  expect(user.tokenClaims.scope === 'create:todos' && user.tokenClaims.aud === todo.resource, 'user token: scope create:todos, aud = the MCP server');
  expect(user.hasRefreshToken, 'user also got a refresh token (offline_access)');
  expect(user.era === 'modern' && user.protocolVersion === '2026-07-28', 'the v2 client negotiated protocol 2026-07-28');
  const milk = await user.callTool('create-todo', { content: 'Buy milk' });
  expect(!milk.isError && milk.value?.ownerId === 'user', 'user creates a todo');

  // 2. admin.
  section('admin signs in');
  const admin = await connectAs({ mcpUrl: todo.url, account: 'admin', transcript });
  sessions.push(admin);
  expect(admin.tokenClaims.scope === 'create:todos read:todos delete:todos', 'admin token: scope create:todos read:todos delete:todos');
  const review = await admin.callTool('create-todo', { content: 'Review the quarterly report' });
  expect(!review.isError && review.value?.ownerId === 'admin', 'admin creates a todo');

  // 3. What the user may do.
  section('user: own todos only');
  const userList = await user.callTool('get-todos');
  expect(sameIds(userList.value, [milk.value.id]), 'user sees only their own todo');
  const plants = await user.callTool('create-todo', { content: 'Water the plants' });
  const ownDelete = await user.callTool('delete-todo', { id: plants.value.id });
  expect(ownDelete.value?.message === `Todo ${plants.value.id} deleted` && !ownDelete.stepUp, 'user deletes their own todo, no step-up needed');

  // 4. Step-up: the server asks for delete:todos, the AS's policy says no.
  section("user: delete admin's todo → 403 → step-up → refused");
  let mark = transcript.entries.length;
  const loginsBefore = user.logins;
  const refused = await user.callTool('delete-todo', { id: review.value.id });
  const [forbidden] = since(mark, 'challenge');
  const forbiddenParams = challengeParams(forbidden?.data.wwwAuthenticate);
  expect(
    forbidden?.data.status === 403 && forbiddenParams.error === 'insufficient_scope' && forbiddenParams.scope === 'delete:todos',
    '403 insufficient_scope naming scope="delete:todos"',
  );
  expect(forbiddenParams.resource_metadata === resourceMetadata, "the 403's resource_metadata is the one of the 401");
  expect(/\bwww-authenticate\b/i.test(forbidden?.data.exposeHeaders ?? ''), 'the 403 exposes WWW-Authenticate to browser clients');
  expect(user.logins === loginsBefore + 1 && since(mark, 'authorize')[0]?.data.params.scope?.split(' ').includes('delete:todos'), 'the SDK re-authorized, asking for delete:todos');
  expect(
    refused.refused && deleteStatuses(since(mark, 'mcp-request')) === '403' && todo.todoService.getTodoById(review.value.id),
    "delete:todos not granted: the call is not sent again, admin's todo stays",
  );

  // 5. What the admin may do.
  section('admin: all todos');
  const adminList = await admin.callTool('get-todos');
  expect(sameIds(adminList.value, [milk.value.id, review.value.id]), 'admin sees every todo');
  const adminDelete = await admin.callTool('delete-todo', { id: milk.value.id });
  expect(adminDelete.value?.details?.ownerId === 'user' && !adminDelete.stepUp, "admin deletes the user's todo, no step-up needed");

  // 6. The policy changes; the same call now gets the scope.
  section('an administrator lets user have delete:todos; the same call again');
  as.grantScopes('user', ['delete:todos']);
  transcript.add('policy', 'authorization server: account "user" may now be granted delete:todos');
  mark = transcript.entries.length;
  const granted = await user.callTool('delete-todo', { id: review.value.id });
  expect(since(mark, 'challenge')[0]?.data.status === 403, 'the old token still gets 403 insufficient_scope');
  expect(deleteStatuses(since(mark, 'mcp-request')) === '403 200', 'after the step-up the call is sent once more: 403, then 200');
  expect(granted.stepUp?.granted.includes('delete:todos') && user.tokenClaims.scope.split(' ').includes('delete:todos'), 'step-up: the new token has delete:todos');
  expect(granted.value?.message === `Todo ${review.value.id} deleted` && !todo.todoService.getTodoById(review.value.id), "the retried call deletes admin's todo");

  // 7. Refresh: the access token stops working, the refresh token gets a new one.
  section("user's access token becomes unusable → 401 → refresh, no login");
  user.spoilAccessToken();
  mark = transcript.entries.length;
  const loginsBeforeRefresh = user.logins;
  const userAfter = await user.callTool('get-todos');
  const refresh = since(mark, 'token');
  const unusable = since(mark, 'challenge')[0];
  expect(unusable?.data.status === 401 && challengeParams(unusable.data.wwwAuthenticate).error === 'invalid_token', 'the unusable token gets 401 invalid_token');
  expect(refresh.length === 1 && refresh[0].data.grantType === 'refresh_token' && refresh[0].data.status === 200, 'the SDK used the refresh token (grant_type=refresh_token)');
  expect(user.logins === loginsBeforeRefresh && Array.isArray(userAfter.value) && userAfter.value.length === 0, 'the call went through without a new login; user has no todos left');

  // 8. A client that speaks 2025-11-25.
  section('a 2025-11-25 client (SDK v2 client, legacy mode)');
  const legacy = await connectAs({ mcpUrl: todo.url, account: 'admin', transcript, era: 'legacy' });
  sessions.push(legacy);
  const legacyList = await legacy.callTool('get-todos');
  expect(legacy.era === 'legacy' && legacy.protocolVersion === '2025-11-25' && Array.isArray(legacyList.value), 'served on protocol 2025-11-25 as well');

  const failed = checks.filter((check) => !check.ok);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  out();
  out(
    failed.length === 0
      ? `All ${checks.length} checks passed in ${seconds} s.`
      : `${failed.length} of ${checks.length} checks FAILED (${seconds} s): ${failed.map((c) => c.description).join('; ')}`,
  );
  exitCode = failed.length === 0 ? 0 : 1;
} catch (error) {
  out();
  out(`Demo failed: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await Promise.all(sessions.map((session) => session.close().catch(() => {})));
  await Promise.all(servers.map((server) => server.close()));
}
process.exit(exitCode);

// HTTP statuses of the delete-todo calls among MCP requests, e.g. "403 200".
function deleteStatuses(requests) {
  return requests
    .filter((entry) => entry.data.tool === 'delete-todo')
    .map((entry) => entry.data.status)
    .join(' ');
}

function sameIds(todos, ids) {
  return Array.isArray(todos) && todos.length === ids.length && ids.every((id) => todos.some((t) => t.id === id));
}

// Fresh servers, so the account policy is the starting one: "user" still
// lacks delete:todos, and a client sees the 403 step-up refused.
async function serveUntilStopped({ dpop, tokens, mode, perTool, port, asPort }) {
  const as = await startAuthorizationServer({ port: asPort, dpop: true });
  servers.push(as);
  const todo = await createTodoServer({
    issuer: as.issuer,
    port,
    dpop,
    mode,
    perTool,
    ...(mode === 'jwt' ? {} : { introspection: as.introspectionClient }),
  });
  servers.push(todo);
  as.addResource(todo.resource, { tokenFormat: tokens });
  /** @type {{ introspection_endpoint?: string }} */
  const discovery = await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json();
  for (const line of serveHelp({ todo, as, options: { dpop, tokens, mode, perTool }, introspectionEndpoint: discovery.introspection_endpoint })) out(line);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
