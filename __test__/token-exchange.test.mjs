// Token exchange for upstream calls (issue 23, item 3): MCPAuth.exchangeToken
// against a local token endpoint on 127.0.0.1 that answers well or misbehaves
// on purpose (500, slow, huge, not JSON, bad expires_in, refusals), the
// cache, single flight and expiry, and docs/token-exchange.md's Node example
// (examples/token-exchange/list-invoices.mjs, which the page includes).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { MCPAuth, MCPAuthTokenExchangeError, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { includes } from '../scripts/include-examples.mjs';
import { listenFresh } from './helpers/ports.mjs';

const RESOURCE = 'https://mcp.example.com/mcp';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const SECRET = 'rs-secret-value';

const issued = (extra = {}) => ({
  access_token: 'upstream.token',
  token_type: 'Bearer',
  issued_token_type: ACCESS_TOKEN,
  expires_in: 600,
  ...extra,
});

// The authorization server: metadata, a token endpoint whose answer each test
// sets (`answer`), every request's form and headers recorded, and an
// upstream API that echoes the bearer token it received.
async function startServer() {
  const state = { answer: { json: issued() }, calls: [], hits: 0 };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let body = '';
    for await (const chunk of req) body += chunk;
    if (url.pathname.startsWith('/.well-known/')) (state.wellKnown ??= []).push(url.pathname);
    // `oidcOnly`: an OpenID provider that publishes no RFC 8414 document.
    if (url.pathname === (state.oidcOnly ? '/.well-known/openid-configuration' : '/.well-known/oauth-authorization-server')) {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ issuer: state.issuer, token_endpoint: `${state.issuer}/token`, response_types_supported: ['code'] }));
    }
    if (url.pathname === '/invoices') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ bearer: req.headers.authorization }));
    }
    if (url.pathname !== '/token') return res.writeHead(404).end();
    state.hits += 1;
    state.calls.push({ form: new URLSearchParams(body), headers: req.headers });
    const answer = typeof state.answer === 'function' ? state.answer() : state.answer;
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (answer.hang) return; // never answers
    res.statusCode = answer.status ?? 200;
    res.setHeader('content-type', 'application/json');
    if (answer.raw !== undefined) return res.end(answer.raw);
    res.end(JSON.stringify(answer.json ?? {}));
  });
  const port = await listenFresh(server);
  state.issuer = `http://127.0.0.1:${port}`;
  state.close = () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)));
  return state;
}

const config = (as, tokenExchange) => ({
  protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oauth' }] } },
  tokenExchange: { clientId: 'rs', clientSecret: SECRET, tokenEndpoint: `${as.issuer}/token`, ...tokenExchange },
});

const caller = (token = 'caller.token') => ({ token, clientId: 'c', scopes: ['read'] });

async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

describe('exchangeToken (RFC 8693) against a local token endpoint', () => {
  let as;
  before(async () => (as = await startServer()));
  after(() => as.close());
  const reset = (answer = { json: issued() }) => {
    as.answer = answer;
    as.calls = [];
    as.hits = 0;
  };

  it('sends the grant with client_secret_basic, returns the checked answer, and caches it', async () => {
    reset({ json: issued({ scope: 'invoices:read' }) });
    const mcpAuth = new MCPAuth(config(as));
    const params = { audience: 'billing-api', resource: 'https://billing.example.com/', scope: ['invoices:read'] };
    const token = await mcpAuth.exchangeToken(caller(), params);
    assert.deepEqual(token, { accessToken: 'upstream.token', tokenType: 'Bearer', issuedTokenType: ACCESS_TOKEN, expiresIn: 600, scope: 'invoices:read' });
    const { form, headers } = as.calls[0];
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: TOKEN_EXCHANGE,
      subject_token: 'caller.token',
      subject_token_type: ACCESS_TOKEN,
      audience: 'billing-api',
      resource: 'https://billing.example.com/',
      scope: 'invoices:read',
    });
    assert.equal(headers.authorization, `Basic ${Buffer.from(`rs:${SECRET}`).toString('base64')}`);
    // Same caller and target: the cache answers. Scope order does not matter.
    assert.deepEqual(await mcpAuth.exchangeToken(caller(), { ...params, scope: 'invoices:read' }), token);
    assert.equal(as.hits, 1);
    // Another caller or another target is another exchange.
    await mcpAuth.exchangeToken(caller('other.caller'), params);
    await mcpAuth.exchangeToken(caller(), { audience: 'other-api' });
    assert.equal(as.hits, 3);
  });

  it('concurrent identical exchanges share one endpoint call', async () => {
    reset({ json: issued(), delayMs: 150 });
    const mcpAuth = new MCPAuth(config(as));
    const all = await Promise.all(Array.from({ length: 8 }, () => mcpAuth.exchangeToken(caller(), { audience: 'billing-api' })));
    assert.equal(as.hits, 1);
    assert.ok(all.every((t) => t.accessToken === 'upstream.token'));
  });

  it('an issued token is reused only until expiryMargin before expires_in runs out; none without expires_in', async () => {
    reset({ json: issued({ expires_in: 2 }) });
    const mcpAuth = new MCPAuth(config(as, { expiryMargin: 1000 }));
    await mcpAuth.exchangeToken(caller(), { audience: 'a' });
    await mcpAuth.exchangeToken(caller(), { audience: 'a' });
    assert.equal(as.hits, 1);
    await new Promise((r) => setTimeout(r, 1100));
    await mcpAuth.exchangeToken(caller(), { audience: 'a' });
    assert.equal(as.hits, 2);

    reset({ json: issued({ expires_in: undefined }) });
    const first = await mcpAuth.exchangeToken(caller(), { audience: 'b' });
    assert.equal('expiresIn' in first, false);
    await mcpAuth.exchangeToken(caller(), { audience: 'b' });
    assert.equal(as.hits, 2);
  });

  it('client_secret_post and the on_behalf_of grant', async () => {
    reset({ json: issued({ issued_token_type: undefined }) });
    const mcpAuth = new MCPAuth(config(as, { grant: 'on_behalf_of', clientAuthMethod: 'client_secret_post' }));
    const token = await mcpAuth.exchangeToken(caller(), { scope: 'api://billing/.default' });
    assert.equal(token.issuedTokenType, ACCESS_TOKEN);
    const { form, headers } = as.calls[0];
    assert.equal(headers.authorization, undefined);
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: 'caller.token',
      requested_token_use: 'on_behalf_of',
      scope: 'api://billing/.default',
      client_id: 'rs',
      client_secret: SECRET,
    });
    const error = await refusal(mcpAuth.exchangeToken(caller(), { audience: 'x', scope: 'y' }));
    assert.ok(error instanceof MCPAuthAuthServerError);
  });

  it('refusals are 403 (with the OAuth error code), outages 503; nothing failed is cached', async () => {
    const mcpAuth = new MCPAuth(config(as, { timeout: 300, maxResponseBytes: 1024 }));
    const cases = [
      [{ status: 400, json: { error: 'invalid_grant', error_description: 'subject caller.token is bad' } }, 403, /invalid_grant \(HTTP 400\)/],
      [{ status: 400, json: { error: 'invalid_target' } }, 403, /invalid_target/],
      [{ status: 401, json: { error: 'invalid_client' } }, 403, /invalid_client \(HTTP 401\)/],
      [{ status: 403, raw: 'no' }, 403, /refused \(HTTP 403\)/],
      [{ status: 500, raw: 'oops' }, 503, /HTTP 500/],
      [{ status: 502, raw: '' }, 503, /HTTP 502/],
      [{ hang: true }, 503, /timed out after 300 ms/],
      [{ raw: JSON.stringify({ ...issued(), padding: 'x'.repeat(4096) }) }, 503, /larger than|too large|exceeds/i],
      [{ raw: '{"access_token": ' }, 503, /.+/],
      [{ json: issued({ expires_in: undefined, access_token: undefined }) }, 503, /access_token/],
      [{ json: issued({ expires_in: -60 }) }, 503, /expires_in/],
      [{ json: issued({ expires_in: 1e12 }) }, 503, /expires_in/],
      [{ json: issued({ expires_in: 1.5 }) }, 503, /expires_in/],
      [{ json: issued({ token_type: undefined }) }, 503, /token_type/],
      [{ json: issued({ issued_token_type: undefined }) }, 503, /issued_token_type/],
    ];
    for (const [answer, status, reason] of cases) {
      reset(answer);
      const error = await refusal(mcpAuth.exchangeToken(caller(), { audience: 'billing-api' }));
      assert.ok(error instanceof MCPAuthTokenExchangeError, `${JSON.stringify(answer).slice(0, 80)}: ${error}`);
      assert.equal(error.status, status, error.cause?.reason);
      assert.equal(error.code, status === 403 ? 'token_exchange_refused' : 'token_exchange_unavailable');
      assert.match(error.cause.reason, reason);
      if (status === 503) assert.ok(error.retryAfter > 0);
      else assert.equal(error.retryAfter, undefined);
      const shown = `${error.message} ${JSON.stringify(error.cause)} ${JSON.stringify(error.toJson(true))}`;
      assert.ok(!shown.includes('caller.token') && !shown.includes(SECRET) && !shown.includes('subject'), shown);
    }
    reset();
    assert.equal((await mcpAuth.exchangeToken(caller(), { audience: 'billing-api' })).accessToken, 'upstream.token');
  });

  it('an unreachable endpoint is 503', async () => {
    const gone = await startServer();
    await gone.close();
    const mcpAuth = new MCPAuth(config(gone));
    const error = await refusal(mcpAuth.exchangeToken(caller(), { audience: 'a' }));
    assert.equal(error.status, 503);
  });

  it('discovers token_endpoint from the only configured server when none is given', async () => {
    reset();
    const mcpAuth = new MCPAuth({ ...config(as), tokenExchange: { clientId: 'rs', clientSecret: SECRET } });
    assert.equal((await mcpAuth.exchangeToken(caller(), { audience: 'a' })).accessToken, 'upstream.token');
    assert.equal(as.hits, 1);
  });

  it("discovers it at the only server's own well-known URL: an OIDC server's openid-configuration", async () => {
    reset();
    as.oidcOnly = true;
    as.wellKnown = [];
    try {
      const oidc = { protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] } } };
      const mcpAuth = new MCPAuth({ ...oidc, tokenExchange: { clientId: 'rs', clientSecret: SECRET } });
      assert.equal((await mcpAuth.exchangeToken(caller(), { audience: 'a' })).accessToken, 'upstream.token');
      assert.equal(as.hits, 1);
      assert.deepEqual(as.wellKnown, ['/.well-known/openid-configuration'], 'its own document first, no RFC 8414 probe');
    } finally {
      as.oidcOnly = false;
    }
  });

  it('options and parameters are checked by name, never echoing a secret', async () => {
    const refused = (tokenExchange) => assert.throws(() => new MCPAuth(config(as, tokenExchange)), (e) => {
      assert.ok(e instanceof MCPAuthAuthServerError);
      assert.ok(!e.message.includes(SECRET));
      return true;
    });
    refused({ timeout: 0 });
    refused({ expiryMargin: -1 });
    refused({ grant: 'password' });
    refused({ cacheTtl: 5 });
    refused({ tokenEndpoint: 'http://as.example.com/token' });
    refused({ clientSecret: undefined });
    assert.throws(() => new MCPAuth(config(as, { expiryMargin: 'soon' })), /tokenExchange\.expiryMargin/);
    // No issuer or endpoint, and two authorization servers: which one is not guessed.
    const twoServers = [{ issuer: as.issuer, type: 'oauth' }, { issuer: 'https://other.example.com', type: 'oauth' }];
    assert.throws(
      () => new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: twoServers } }, tokenExchange: { clientId: 'rs', clientSecret: SECRET } }),
      (e) => e instanceof MCPAuthAuthServerError && /`tokenExchange` needs `issuer` or `tokenEndpoint` when not exactly one/.test(e.message),
    );
    const mcpAuth = new MCPAuth(config(as));
    for (const params of [{ resource: 'not a uri' }, { scope: 'a"b' }, { audiences: 'x' }]) {
      const error = await refusal(mcpAuth.exchangeToken(caller(), params));
      assert.ok(error instanceof MCPAuthAuthServerError, String(error));
      assert.match(error.message, /exchangeToken\./);
    }
    const bare = new MCPAuth({ protectedResources: config(as).protectedResources });
    assert.ok((await refusal(bare.exchangeToken(caller(), {}))) instanceof MCPAuthAuthServerError);
    await assert.rejects(mcpAuth.exchangeToken({}, {}), TypeError);
  });
});

describe("docs/token-exchange.md's Node example (examples/token-exchange/list-invoices.mjs)", () => {
  let as;
  before(async () => (as = await startServer()));
  after(() => as.close());

  it('the page includes the file as it is', () => {
    const shown = includes().filter((entry) => entry.doc === 'docs/token-exchange.md');
    assert.deepEqual(
      shown.map((entry) => [entry.file, entry.matches]),
      [['examples/token-exchange/list-invoices.mjs', true], ['examples/python-token-exchange/list_invoices.py', true]],
    );
  });

  it('runs as written: an upstream call with the exchanged token, 403 for a refusal', async () => {
    Object.assign(process.env, { RESOURCE, ISSUER: as.issuer, CLIENT_SECRET: SECRET, BILLING_URL: as.issuer });
    const { listInvoices } = await import('../examples/token-exchange/list-invoices.mjs');
    const ok = await listInvoices(caller());
    assert.deepEqual(ok, { status: 200, body: { bearer: 'Bearer upstream.token' } });
    assert.equal(as.calls[0].form.get('audience'), 'billing-api');
    as.answer = { status: 400, json: { error: 'invalid_grant' } };
    const refused = await listInvoices(caller('another.caller'));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'token_exchange_refused');
  });
});

// oidc-provider (the todo example's authorization server) with an RFC 8693
// grant registered: it authenticates our client and looks the subject token
// up itself; only the issued token is minted by the test's handler.
describe('exchangeToken against oidc-provider with a token-exchange grant', () => {
  let as;
  let client;
  const minted = [];
  before(async () => {
    const { startAuthorizationServer } = await import('../examples/todo-manager/authorization-server.mjs');
    const { errors } = await import('oidc-provider');
    as = await startAuthorizationServer();
    as.addResource(RESOURCE, { tokenFormat: 'opaque' });
    as.provider.registerGrantType(
      TOKEN_EXCHANGE,
      async (ctx, next) => {
        const { subject_token: subjectToken, subject_token_type: type, audience, scope } = ctx.oidc.params;
        if (type !== ACCESS_TOKEN) throw new errors.InvalidRequest('unsupported subject_token_type');
        const subject = await ctx.oidc.provider.AccessToken.find(subjectToken);
        if (!subject || subject.isExpired) throw new errors.InvalidGrant('subject token is not active');
        const token = `exchanged-${minted.length}-${subject.accountId}`;
        minted.push({ token, audience, scope, client: ctx.oidc.client.clientId });
        ctx.body = { access_token: token, issued_token_type: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 300, scope };
        await next();
      },
      ['subject_token', 'subject_token_type', 'audience', 'scope', 'requested_token_type'],
    );
    const registration = await fetch(`${as.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    assert.equal(registration.status, 201, await registration.clone().text());
    client = await registration.json();
  });
  after(() => as?.close());

  it("trades a user's opaque token once per target; a token the AS never issued is refused (403)", async () => {
    const { obtainAccessToken } = await import('../examples/todo-manager/client.mjs');
    const { access_token: userToken } = await obtainAccessToken({ issuer: as.issuer, resource: RESOURCE, account: 'user', scope: 'create:todos' });
    const mcpAuth = new MCPAuth({
      protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] } },
      tokenExchange: { issuerType: 'oidc', clientId: client.client_id, clientSecret: client.client_secret },
    });
    const info = { token: userToken, clientId: 'x', scopes: [] };
    const first = await mcpAuth.exchangeToken(info, { audience: 'billing-api', scope: 'openid' });
    assert.equal(first.accessToken, 'exchanged-0-user');
    assert.equal(first.expiresIn, 300);
    assert.deepEqual(await mcpAuth.exchangeToken(info, { audience: 'billing-api', scope: 'openid' }), first);
    assert.deepEqual(minted, [{ token: 'exchanged-0-user', audience: 'billing-api', scope: 'openid', client: client.client_id }]);
    const error = await refusal(mcpAuth.exchangeToken({ ...info, token: 'never-issued' }, { audience: 'billing-api' }));
    assert.ok(error instanceof MCPAuthTokenExchangeError);
    assert.equal(error.status, 403);
    assert.match(error.cause.reason, /invalid_grant \(HTTP 400\)/);
    // Wrong client credentials: oidc-provider answers 401 invalid_client, also a refusal.
    const impostor = new MCPAuth({
      protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: as.issuer, type: 'oidc' }] } },
      tokenExchange: { issuerType: 'oidc', clientId: client.client_id, clientSecret: 'wrong-secret' },
    });
    const denied = await refusal(impostor.exchangeToken(info, { audience: 'other-api' }));
    assert.equal(denied.status, 403);
    assert.match(denied.cause.reason, /invalid_client \(HTTP 401\)/);
  });
});
