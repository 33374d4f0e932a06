// The addon's per-tool authorization surface (`operations`), called directly
// on the native Authenticator as the TypeScript adapters will: body refusals,
// anonymous passes, the operation's flow through `finish`, the tool-result
// signal, the descriptor helper and the option's validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const native = createRequire(import.meta.url)('../index.js');
const PRM = 'https://r.example/.well-known/oauth-protected-resource';

function authenticator(operations, extra = {}) {
  return new native.Authenticator({
    resourceMetadataUrl: PRM,
    requiredScopes: ['mcp'],
    scopeHierarchy: [{ scope: 'todos:admin', implies: ['todos:delete'] }],
    showErrorDetails: false,
    maxTokenLength: 8192,
    route: 'caller',
    ...(operations === undefined ? {} : { operations }),
    ...extra,
  });
}

const declared = () =>
  authenticator({ tools: { search: 'public', delete: ['todos:delete'] }, maxBodyBytes: 2048 });

const call = (tool, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool } });

function run(auth, body, { token, state = 'json', method = 'POST' } = {}) {
  const headers = token === undefined ? [] : ['authorization', `Bearer ${token}`];
  return auth.authenticateOperation(method, '/mcp', null, headers, false, null, body, state);
}

function finish(auth, verify, scopes) {
  return auth.finish(verify.scheme, false, null, null, 'POST', '/mcp', verify.token, scopes, null, null, null, verify.operation);
}

const header = (answer, name) => {
  const i = answer.headers.findIndex((h, n) => n % 2 === 0 && h.toLowerCase() === name.toLowerCase());
  return i < 0 ? undefined : answer.headers[i + 1];
};

test('a public tool passes anonymously; a presented token is still verified', () => {
  const auth = declared();
  assert.equal(run(auth, call('search')), null);
  assert.equal(run(auth, Buffer.from(call('search'))), null);
  const verify = run(auth, call('search'), { token: 'abc' });
  assert.equal(verify.token, 'abc');
  assert.equal(typeof verify.operation, 'string');
  // No scope check on a public operation, not even the route's.
  assert.deepEqual(finish(auth, verify, []), { scheme: 'bearer', effectiveScopes: [] });
  // A malformed credential is refused even on a public operation.
  const refused = auth.authenticateOperation('POST', '/mcp', null, ['authorization', 'Basic x'], false, null, call('search'), 'json');
  assert.equal(refused.status, 401);
  // GET follows initialize (public by default).
  assert.equal(run(auth, null, { method: 'GET', state: 'none' }), null);
});

test('a protected tool needs the route and the tool scopes, hierarchy applied', () => {
  const auth = declared();
  const bare = run(auth, call('delete'));
  assert.equal(bare.status, 401);
  assert.equal(header(bare, 'WWW-Authenticate'), `Bearer resource_metadata="${PRM}", scope="mcp todos:delete"`);
  const verify = run(auth, call('delete'), { token: 'abc' });
  const forbidden = finish(auth, verify, ['mcp']);
  assert.equal(forbidden.status, 403);
  assert.match(header(forbidden, 'WWW-Authenticate'), /error="insufficient_scope".*scope="mcp todos:delete"/);
  assert.deepEqual(finish(auth, verify, ['mcp', 'todos:admin']).effectiveScopes, ['mcp', 'todos:admin', 'todos:delete']);
  // A batch needs every item: one protected item protects it.
  assert.equal(run(auth, `[${call('search')},${call('delete', 2)}]`).status, 401);
  // An operation text the authenticator did not make is a server fault, never a pass.
  assert.equal(finish(auth, { ...verify, operation: 'forged.token' }, ['mcp', 'todos:delete']).status, 500);
});

test('bodies it cannot judge are refused before the token', () => {
  const auth = declared();
  const rows = [
    [call('search'), 'not-json', 415, -32000],
    [null, 'too-large', 413, -32000],
    ['{', 'json', 400, -32700],
    ['[]', 'json', 400, -32600],
    [null, 'unreadable', 500, -32603],
  ];
  for (const [body, state, status, code] of rows) {
    const answer = run(auth, body, { token: 'abc', state });
    assert.equal(answer.status, status, state);
    assert.deepEqual(answer.headers, ['Content-Type', 'application/json']);
    assert.equal(JSON.parse(answer.body).error.code, code);
    assert.equal(JSON.parse(answer.body).id, null);
  }
  assert.throws(() => run(auth, call('search'), { state: 'weird' }), { code: 'invalid_config' });
});

test("'tool-result' answers a refused tools/call as its result", () => {
  const auth = authenticator({ tools: { delete: ['todos:delete'] }, signal: 'tool-result' });
  const answer = run(auth, call('delete', 'req-1'));
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.headers, ['Content-Type', 'application/json']);
  assert.equal(answer.reason, 'missing_authorization');
  assert.equal(
    answer.body,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 'req-1',
      result: {
        content: [{ type: 'text', text: 'Missing `Authorization` header. Please provide a valid bearer token.' }],
        isError: true,
        _meta: { 'mcp/www_authenticate': [`Bearer resource_metadata="${PRM}", scope="mcp todos:delete"`] },
        resultType: 'complete',
      },
    }),
  );
  const verify = run(auth, call('delete', 7), { token: 'abc' });
  const forbidden = finish(auth, verify, ['mcp']);
  assert.equal(forbidden.status, 200);
  assert.equal(JSON.parse(forbidden.body).id, 7);
  assert.equal(forbidden.error, 'insufficient_scope');
  // `refuse` with the operation applies the signal too.
  const refused = auth.refuse({ kind: 'coded', code: 'invalid_token', fault: 'token', reason: 'r' }, 'bearer', verify.operation);
  assert.equal(refused.status, 200);
  assert.equal(JSON.parse(refused.body).result.isError, true);
});

test('securitySchemes, maxBodyBytes and routes without operations', () => {
  const auth = declared();
  assert.equal(auth.securitySchemes('search'), '[{"type":"noauth"}]');
  assert.equal(auth.securitySchemes('delete'), '[{"type":"oauth2","scopes":["mcp","todos:delete"]}]');
  assert.equal(auth.securitySchemes('other'), '[{"type":"oauth2","scopes":["mcp"]}]');
  assert.equal(auth.maxBodyBytes(), 2048);
  const plain = authenticator(undefined);
  assert.equal(plain.securitySchemes('search'), null);
  assert.equal(plain.maxBodyBytes(), null);
  assert.throws(() => run(plain, call('search')), { code: 'invalid_config', message: /operations/ });
  // Unchanged: no token is a bare 401 with the route's scope.
  const bare = plain.authenticate('POST', '/mcp', null, [], false);
  assert.equal(header(bare, 'WWW-Authenticate'), `Bearer resource_metadata="${PRM}", scope="mcp"`);
});

test('the core validates the option by its path', () => {
  const refused = (operations, message) =>
    assert.throws(() => authenticator(operations), (err) => err.code === 'invalid_config' && message.test(err.message));
  refused({ tools: { delete: 'private' } }, /operations\.tools\["delete"\]` must be 'public', 'protected' or an array of scopes/);
  refused({ maxBodyBytes: 10 }, /operations\.maxBodyBytes.*1024 to 67108864/);
  refused({ signal: 'sse' }, /operations\.signal/);
  refused({ tool: {} }, /unknown option `operations\.tool`/);
  refused({ tools: { a: () => 1 } }, /operations\.tools\.a/);
});
