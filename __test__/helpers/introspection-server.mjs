// A local authorization server for the introspection tests: metadata (RFC
// 8414 and OpenID discovery, one document), a JWKS, an RFC 7662 endpoint
// that answers `state.answer(token)` (a body, `{ status, body, type,
// headers, delay }`, or 'hang') and counts its calls, and an RFC 8693 token
// endpoint that issues `exchanged-<n>` after `state.tokenDelay` ms and counts
// its calls (`state.tokenCalls`).

import { generateKey, jwks, nowSeconds } from './keys.mjs';
import { startHttp } from './http.mjs';

export const RESOURCE = 'https://mcp.example.com/mcp';

/** Starts it on 127.0.0.1 (`port` 0: a free one); `active(extra)` builds an active answer for RESOURCE. */
export async function startIntrospectionServer({ port = 0 } = {}) {
  const key = generateKey('ES256', { kid: 'k1' });
  const state = { calls: 0, answer: null, last: null, tokenCalls: 0, tokenDelay: 0 };
  let issuer;
  const server = await startHttp(async (req, res) => {
    const reply = (status, body, type = 'application/json', headers = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body);
    };
    if (req.url === '/.well-known/oauth-authorization-server' || req.url === '/.well-known/openid-configuration') {
      return reply(
        200,
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          introspection_endpoint: `${issuer}/introspect`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }),
      );
    }
    if (req.url === '/jwks') return reply(200, JSON.stringify(jwks(key)));
    if (req.url === '/token' && req.method === 'POST') {
      for await (const _ of req);
      state.tokenCalls += 1;
      const issued = `exchanged-${state.tokenCalls}`;
      if (state.tokenDelay) await new Promise((r) => setTimeout(r, state.tokenDelay));
      const accessToken = 'urn:ietf:params:oauth:token-type:access_token';
      return reply(200, JSON.stringify({ access_token: issued, token_type: 'Bearer', issued_token_type: accessToken, expires_in: 600 }));
    }
    if (req.url !== '/introspect' || req.method !== 'POST') return reply(404, '{}');
    let body = '';
    for await (const chunk of req) body += chunk;
    state.calls += 1;
    state.last = { form: Object.fromEntries(new URLSearchParams(body)), authorization: req.headers.authorization };
    const outcome = await state.answer(state.last.form.token);
    if (outcome === 'hang') return;
    const { status = 200, body: text, type, headers, delay } = typeof outcome === 'string' ? { body: outcome } : outcome;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    reply(status, typeof text === 'string' ? text : JSON.stringify(text), type, headers);
  }, { port });
  issuer = server.url;
  const active = (extra = {}) => ({ active: true, iss: issuer, aud: RESOURCE, exp: nowSeconds() + 600, scope: 'read write', sub: 'alice', client_id: 'app', ...extra });
  return { issuer, key, state, active, close: () => server.close() };
}

