// DPoP (RFC 9449) conformance on the wire, under every adapter (Express 5
// and 4, web-standard, Hono, Fastify; helpers/adapters.mjs), in 'jwt' mode
// and with a custom verifier. Each row sends one request over a raw socket
// and checks the status, the RFC 6750 / RFC 9449 error, which challenge
// carries it, the `reason` of the auth event, and that nothing of the token
// or proof comes back. The resource's origin is not the address the app
// listens on: `htu` is checked against configuration, never `Host`.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import express from 'express';
import { MCPAuth, MCPAuthAuthServerError, handleBearerAuth, fetchServerConfig } from 'mcp-auth-rs';
import { generateKey, signJwt, claims, nowSeconds } from './helpers/keys.mjs';
import { dpopKey, proof, hmacProof, unsignedProof } from './helpers/dpop.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { rawRequest, headerValues, parseWwwAuthenticateAll } from './helpers/http.mjs';
import { ADAPTERS } from './helpers/adapters.mjs';
import { serveApp } from './helpers/app.mjs';

const ORIGIN = 'https://mcp.example.com';
const RESOURCE = `${ORIGIN}/mcp`;
const REQUIRED = `${ORIGIN}/required`;
const NONCE = `${ORIGIN}/nonce`;
const OFF = `${ORIGIN}/off`;
const ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA';
const prmOf = (resource) => `${ORIGIN}/.well-known/oauth-protected-resource${new URL(resource).pathname}`;

const PROOF_DESCRIPTIONS = {
  dpop_proof_missing: 'The request has no DPoP proof.',
  dpop_proof_multiple: 'The request has more than one DPoP proof.',
  dpop_proof_malformed: 'The DPoP proof is malformed.',
  dpop_proof_type: 'The DPoP proof type is not dpop+jwt.',
  dpop_alg_not_allowed: 'The DPoP proof signing algorithm is not allowed.',
  dpop_key_invalid: 'The DPoP proof key is not a usable public key.',
  dpop_bad_signature: 'The DPoP proof signature is invalid.',
  dpop_htm_mismatch: 'The DPoP proof is not for this request method.',
  dpop_htu_mismatch: 'The DPoP proof is not for this request URL.',
  dpop_iat_out_of_window: 'The DPoP proof is too old or too far in the future.',
  dpop_replayed: 'The DPoP proof was already used.',
  dpop_ath_mismatch: 'The DPoP proof is not for this access token.',
  dpop_jkt_mismatch: 'The DPoP proof key is not the key the access token is bound to.',
};
const TOKEN_DESCRIPTIONS = {
  sender_constrained: 'The access token is sender-constrained: it cannot be used as a Bearer token.',
  dpop_required: 'This resource requires a DPoP-bound access token.',
  dpop_token_not_bound: 'The DPoP scheme needs a DPoP-bound access token.',
  bad_signature: 'The access token signature is invalid.',
};

const asKey = generateKey('ES256', { kid: 'as-key' });
const holder = dpopKey('ES256');
const other = dpopKey('ES256');
const edHolder = dpopKey('EdDSA');
let as;

const token = ({ resource = RESOURCE, jkt = holder.jkt, ...extra } = {}) =>
  signJwt(claims({ issuer: as.issuer, audience: resource, scope: 'mcp:read', ...(jkt ? { cnf: { jkt } } : {}), ...extra }), asKey);

// A custom verifier that trusts the JWT's payload (the signature is the test's business, not the point here).
function customVerify(accessToken) {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
  return {
    token: accessToken,
    issuer: payload.iss,
    clientId: payload.client_id,
    scopes: payload.scope.split(' '),
    subject: payload.sub,
    audience: payload.aud,
    expiresAt: payload.exp,
    claims: payload,
  };
}

const ROUTES = [
  { path: '/mcp', methods: ['GET', 'POST'], options: { resource: RESOURCE } },
  { path: '/scoped', options: { resource: RESOURCE, requiredScopes: ['mcp:write'] } },
  { path: '/required', options: { resource: REQUIRED } },
  { path: '/nonce', options: { resource: NONCE } },
  { path: '/off', options: { resource: OFF } },
  { path: '/custom', mode: customVerify, options: { resource: RESOURCE } },
  // A verifier shaped like the SDK's AuthInfo: no `claims` at all.
  { path: '/custom-bare', mode: (t) => ({ ...customVerify(t), claims: undefined }), options: { resource: RESOURCE } },
].map((route) => ({ methods: ['GET'], mode: 'jwt', reply: 'echo', ...route }));

/** `headers`: [name, value] pairs, sent as written (so two DPoP headers stay two). */
function send(port, { method = 'GET', path = '/mcp', headers = [] }) {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)];
  return rawRequest(port, `${lines.join('\r\n')}\r\n\r\n`);
}

const dpopHeaders = (accessToken, proofs) => [['Authorization', `DPoP ${accessToken}`], ...[proofs].flat().map((p) => ['DPoP', p])];
const htu = (path) => `${ORIGIN}${path}`;

// Row: { name, path?, method?, request: () => headers, status, error?, reason, challenge? ('Bearer' | 'DPoP') }
const proofRow = (name, reason, request, extra = {}) => ({ name, reason, status: 401, error: 'invalid_dpop_proof', challenge: 'DPoP', request, ...extra });
const ROWS = [
  {
    name: 'a valid proof for a bound token: 200, the caller identified',
    status: 200,
    request: () => {
      const t = token();
      return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t }));
    },
  },
  {
    name: 'EdDSA proof key',
    status: 200,
    request: () => {
      const t = token({ jkt: edHolder.jkt });
      return dpopHeaders(t, proof(edHolder, { htu: htu('/mcp'), token: t }));
    },
  },
  {
    name: 'POST: htm POST',
    method: 'POST',
    status: 200,
    request: () => {
      const t = token();
      return [...dpopHeaders(t, proof(holder, { htm: 'POST', htu: htu('/mcp'), token: t })), ['Content-Length', '0']];
    },
  },
  {
    name: 'the query is not part of htu',
    path: '/mcp?session=1',
    status: 200,
    request: () => {
      const t = token();
      return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t }));
    },
  },
  {
    name: 'the scheme name is case-insensitive',
    status: 200,
    request: () => {
      const t = token();
      return [['Authorization', `dpop ${t}`], ['DPoP', proof(holder, { htu: htu('/mcp'), token: t })]];
    },
  },
  proofRow('missing proof', 'dpop_proof_missing', () => [['Authorization', `DPoP ${token()}`]]),
  proofRow('two DPoP headers', 'dpop_proof_multiple', () => {
    const t = token();
    return dpopHeaders(t, [proof(holder, { htu: htu('/mcp'), token: t }), proof(holder, { htu: htu('/mcp'), token: t })]);
  }),
  proofRow('typ jwt', 'dpop_proof_type', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, header: { typ: 'JWT' } }));
  }),
  proofRow('no typ', 'dpop_proof_type', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, header: { typ: undefined } }));
  }),
  proofRow('HMAC (HS256)', 'dpop_alg_not_allowed', () => {
    const t = token();
    return dpopHeaders(t, hmacProof(holder, { htu: htu('/mcp'), token: t }));
  }),
  proofRow('alg none, no signature', 'dpop_alg_not_allowed', () => {
    const t = token();
    return dpopHeaders(t, unsignedProof(holder, { htu: htu('/mcp'), token: t }));
  }),
  proofRow('a private key in the jwk', 'dpop_key_invalid', () => {
    const t = token();
    const privateJwk = holder.key.privateKey.export({ format: 'jwk' });
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, header: { jwk: privateJwk } }));
  }),
  proofRow('no jwk', 'dpop_key_invalid', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, header: { jwk: undefined } }));
  }),
  proofRow('alg that does not fit the jwk (RS256 header, EC key)', 'dpop_key_invalid', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, header: { alg: 'RS256' } }));
  }),
  proofRow('signature by another key than the jwk', 'dpop_bad_signature', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, signWith: other.key }));
  }),
  proofRow('htm mismatch', 'dpop_htm_mismatch', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htm: 'POST', htu: htu('/mcp'), token: t }));
  }),
  proofRow('htu of another path', 'dpop_htu_mismatch', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/other'), token: t }));
  }),
  proofRow('htu naming the Host header, not the configured origin', 'dpop_htu_mismatch', (port) => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: `http://127.0.0.1:${port}/mcp`, token: t }));
  }),
  proofRow('iat 301 s in the past', 'dpop_iat_out_of_window', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, iat: nowSeconds() - 301 }));
  }),
  proofRow('iat 301 s in the future', 'dpop_iat_out_of_window', () => {
    const t = token();
    // Rounded up: nowSeconds() rounds down, which could date it under 300 s ahead of the server's clock.
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, iat: Math.ceil(Date.now() / 1000) + 301 }));
  }),
  proofRow('ath of another token', 'dpop_ath_mismatch', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: token() }));
  }),
  proofRow('no ath', 'dpop_ath_mismatch', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp') }));
  }),
  proofRow('proof key is not the token’s cnf.jkt', 'dpop_jkt_mismatch', () => {
    const t = token();
    return dpopHeaders(t, proof(other, { htu: htu('/mcp'), token: t }));
  }),
  proofRow('duplicate header members', 'dpop_proof_malformed', () => {
    const t = token();
    const raw = `{"typ":"dpop+jwt","typ":"dpop+jwt","alg":"ES256","jwk":${JSON.stringify(holder.jwk)}}`;
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, rawHeader: raw }));
  }),
  proofRow('a proof larger than 8 KiB', 'dpop_proof_malformed', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, claims: { pad: 'x'.repeat(9000) } }));
  }),
  proofRow('not a JWS', 'dpop_proof_malformed', () => dpopHeaders(token(), 'not-a-proof')),
  proofRow('no jti', 'dpop_proof_malformed', () => {
    const t = token();
    return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t, claims: { jti: undefined } }));
  }),
  {
    name: 'a DPoP-bound token presented as Bearer',
    status: 401,
    error: 'invalid_token',
    reason: 'sender_constrained',
    challenge: 'Bearer',
    request: () => [['Authorization', `Bearer ${token()}`]],
  },
  {
    name: 'a plain token with the DPoP scheme',
    status: 401,
    error: 'invalid_token',
    reason: 'dpop_token_not_bound',
    challenge: 'DPoP',
    request: () => {
      const t = token({ jkt: null });
      return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t }));
    },
  },
  {
    name: 'a bad token with a good proof: the token is reported',
    status: 401,
    error: 'invalid_token',
    reason: 'bad_signature',
    challenge: 'DPoP',
    request: () => {
      const t = `${token().slice(0, -4)}AAAA`;
      return dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t }));
    },
  },
  {
    name: 'a plain bearer token where DPoP is allowed: 200',
    status: 200,
    request: () => [['Authorization', `Bearer ${token({ jkt: null })}`]],
  },
  {
    name: "'required': a plain bearer token",
    path: '/required',
    status: 401,
    error: 'invalid_token',
    reason: 'dpop_required',
    challenge: 'DPoP',
    request: () => [['Authorization', `Bearer ${token({ resource: REQUIRED, jkt: null })}`]],
  },
  {
    name: "'required': a bound token presented as Bearer",
    path: '/required',
    status: 401,
    error: 'invalid_token',
    reason: 'dpop_required',
    challenge: 'DPoP',
    request: () => [['Authorization', `Bearer ${token({ resource: REQUIRED })}`]],
  },
  {
    name: "'required': a valid proof",
    path: '/required',
    status: 200,
    request: () => {
      const t = token({ resource: REQUIRED });
      return dpopHeaders(t, proof(holder, { htu: htu('/required'), token: t }));
    },
  },
  {
    name: "'off': the DPoP scheme is not taken (bare Bearer challenge)",
    path: '/off',
    status: 401,
    reason: 'unsupported_scheme',
    request: () => {
      const t = token({ resource: OFF });
      return dpopHeaders(t, proof(holder, { htu: htu('/off'), token: t }));
    },
  },
  {
    name: "'off': a bound token presented as Bearer is still refused",
    path: '/off',
    status: 401,
    error: 'invalid_token',
    reason: 'sender_constrained',
    challenge: 'Bearer',
    request: () => [['Authorization', `Bearer ${token({ resource: OFF })}`]],
  },
  {
    name: 'insufficient scope with a valid proof: 403 in the DPoP challenge',
    path: '/scoped',
    status: 403,
    error: 'insufficient_scope',
    reason: 'insufficient_scope',
    challenge: 'DPoP',
    request: () => {
      const t = token();
      return dpopHeaders(t, proof(holder, { htu: htu('/scoped'), token: t }));
    },
  },
  {
    name: 'custom verifier: a valid proof for the cnf.jkt it returns',
    path: '/custom',
    status: 200,
    request: () => {
      const t = token();
      return dpopHeaders(t, proof(holder, { htu: htu('/custom'), token: t }));
    },
  },
  proofRow('custom verifier: proof of another key', 'dpop_jkt_mismatch', () => {
    const t = token();
    return dpopHeaders(t, proof(other, { htu: htu('/custom'), token: t }));
  }, { path: '/custom' }),
  {
    name: 'custom verifier without claims: a bound token presented as Bearer is still refused',
    path: '/custom-bare',
    status: 401,
    error: 'invalid_token',
    reason: 'sender_constrained',
    challenge: 'Bearer',
    request: () => [['Authorization', `Bearer ${token()}`]],
  },
  {
    name: 'custom verifier without claims: an unbound token as Bearer passes',
    path: '/custom-bare',
    status: 200,
    request: () => [['Authorization', `Bearer ${token({ jkt: null })}`]],
  },
  {
    name: 'custom verifier: a bound token presented as Bearer',
    path: '/custom',
    status: 401,
    error: 'invalid_token',
    reason: 'sender_constrained',
    challenge: 'Bearer',
    request: () => [['Authorization', `Bearer ${token()}`]],
  },
];

function resourceOf(path) {
  return { '/required': REQUIRED, '/nonce': NONCE, '/off': OFF }[path.split('?')[0]] ?? RESOURCE;
}

// Which schemes a resource offers, in order.
function offered(resource) {
  return resource === REQUIRED ? ['DPoP'] : resource === OFF ? ['Bearer'] : ['Bearer', 'DPoP'];
}

function checkChallenges(res, row, path) {
  const resource = resourceOf(path);
  const values = headerValues(res.headers, 'www-authenticate');
  assert.equal(values.length, 1, 'one WWW-Authenticate field');
  const challenges = parseWwwAuthenticateAll(values[0]);
  assert.deepEqual(challenges.map((c) => c.scheme), offered(resource));
  for (const challenge of challenges) {
    assert.equal(challenge.params.resource_metadata, prmOf(resource));
    if (challenge.scheme === 'DPoP') assert.equal(challenge.params.algs, ALGS);
  }
  const withError = challenges.filter((c) => c.params.error !== undefined);
  if (row.error === undefined) {
    assert.equal(withError.length, 0, 'a bare challenge');
    return;
  }
  assert.equal(withError.length, 1, 'the error is in one challenge');
  assert.equal(withError[0].scheme, row.challenge);
  assert.equal(withError[0].params.error, row.error);
  const body = JSON.parse(res.body);
  assert.equal(body.error, row.error);
  assert.equal(withError[0].params.error_description, body.error_description);
  const description = PROOF_DESCRIPTIONS[row.reason] ?? TOKEN_DESCRIPTIONS[row.reason];
  if (description) assert.equal(body.error_description, description);
  assert.match(headerValues(res.headers, 'access-control-expose-headers')[0] ?? '', /WWW-Authenticate/);
}

before(async () => {
  as = await startAuthServer({ keys: [asKey] });
});
after(() => as?.close());

async function newMcpAuth(events) {
  const server = await fetchServerConfig(as.issuer, { type: 'oidc' });
  return new MCPAuth({
    protectedResources: [
      { metadata: { resource: RESOURCE, authorizationServers: [server], scopesSupported: ['mcp:read', 'mcp:write'] } },
      { metadata: { resource: REQUIRED, authorizationServers: [server] }, dpop: 'required' },
      { metadata: { resource: NONCE, authorizationServers: [server] }, dpop: { nonce: true } },
      { metadata: { resource: OFF, authorizationServers: [server] }, dpop: 'off' },
    ],
    onAuthEvent: (event) => events.push(event),
  });
}

for (const [label, serve] of Object.entries(ADAPTERS)) {
  describe(`DPoP conformance on the wire (${label})`, () => {
    let server;
    const events = [];
    before(async () => {
      server = await serve(await newMcpAuth(events), ROUTES);
    });
    after(() => server?.close());

    for (const row of ROWS) {
      it(row.name, async () => {
        const path = row.path ?? '/mcp';
        const headers = row.request(server.port);
        const seen = events.length;
        const res = await send(server.port, { method: row.method, path, headers });
        assert.equal(res.status, row.status, res.body);
        // Nothing of the token or the proof comes back.
        for (const [, value] of headers) {
          const secret = value.replace(/^(Bearer|DPoP) /i, '');
          if (secret.length > 20) assert.ok(!res.body.includes(secret) && !JSON.stringify(res.headers).includes(secret), 'echoed a credential');
        }
        if (row.status === 200) {
          assert.equal(JSON.parse(res.body).sub, 'user-1');
          return;
        }
        checkChallenges(res, row, path);
        const rejected = events.slice(seen).filter((e) => e.type === 'rejected');
        assert.equal(rejected.at(-1)?.reason, row.reason);
      });
    }

    it('a replayed proof is refused: the same proof twice', async () => {
      const t = token();
      const headers = dpopHeaders(t, proof(holder, { htu: htu('/mcp'), token: t }));
      assert.equal((await send(server.port, { headers })).status, 200);
      const replay = await send(server.port, { headers });
      assert.equal(replay.status, 401);
      assert.equal(JSON.parse(replay.body).error_description, PROOF_DESCRIPTIONS.dpop_replayed);
      assert.equal(events.filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_replayed');
    });

    it('server nonces: use_dpop_nonce with a DPoP-Nonce, then the proof with it passes; a made-up nonce does not', async () => {
      const t = token({ resource: NONCE });
      const first = await send(server.port, { path: '/nonce', headers: dpopHeaders(t, proof(holder, { htu: htu('/nonce'), token: t })) });
      assert.equal(first.status, 401);
      assert.equal(JSON.parse(first.body).error, 'use_dpop_nonce');
      const [challenge] = parseWwwAuthenticateAll(headerValues(first.headers, 'www-authenticate')[0]).filter((c) => c.params.error);
      assert.equal(challenge.scheme, 'DPoP');
      assert.equal(challenge.params.error, 'use_dpop_nonce');
      const [nonce] = headerValues(first.headers, 'dpop-nonce');
      assert.match(nonce, /^[A-Za-z0-9_-]{16,}$/);
      assert.match(headerValues(first.headers, 'access-control-expose-headers')[0], /DPoP-Nonce/);

      const second = await send(server.port, { path: '/nonce', headers: dpopHeaders(t, proof(holder, { htu: htu('/nonce'), token: t, nonce })) });
      assert.equal(second.status, 200, second.body);

      const madeUp = await send(server.port, { path: '/nonce', headers: dpopHeaders(t, proof(holder, { htu: htu('/nonce'), token: t, nonce: 'AAAAAAAAAAAAAAAAAAAAAA' })) });
      assert.equal(madeUp.status, 401);
      assert.equal(JSON.parse(madeUp.body).error, 'use_dpop_nonce');
      assert.equal(events.filter((e) => e.type === 'rejected').at(-1).reason, 'dpop_nonce_required');
    });

    it('no credentials: one challenge per accepted scheme', async () => {
      for (const [path, resource] of [['/mcp', RESOURCE], ['/required', REQUIRED], ['/off', OFF]]) {
        const res = await send(server.port, { path });
        assert.equal(res.status, 401);
        checkChallenges(res, { reason: 'missing_authorization' }, path);
        assert.deepEqual(parseWwwAuthenticateAll(headerValues(res.headers, 'www-authenticate')[0]).map((c) => c.scheme), offered(resource));
      }
    });

    it('the metadata advertises what is enforced (RFC 9449 §5.2)', async () => {
      const doc = async (resource) => JSON.parse((await send(server.port, { path: new URL(prmOf(resource)).pathname })).body);
      const allowed = await doc(RESOURCE);
      assert.deepEqual(allowed.dpop_signing_alg_values_supported, ALGS.split(' '));
      assert.equal('dpop_bound_access_tokens_required' in allowed, false);
      const required = await doc(REQUIRED);
      assert.deepEqual(required.dpop_signing_alg_values_supported, ALGS.split(' '));
      assert.equal(required.dpop_bound_access_tokens_required, true);
      const off = await doc(OFF);
      assert.equal('dpop_signing_alg_values_supported' in off, false);
      assert.equal('dpop_bound_access_tokens_required' in off, false);
    });
  });
}

describe('DPoP behind an Express mount path', () => {
  it('htu is checked against the URL before the mount stripped it (req.originalUrl)', async () => {
    const mcpAuth = await newMcpAuth([]);
    const server = await serveApp(express, (app) => {
      app.use('/mcp', mcpAuth.bearerAuth('jwt', { resource: RESOURCE }), (req, res) => res.json({ sub: req.auth.subject }));
    });
    try {
      const t = token();
      const ok = await send(server.port, { path: '/mcp/tools', headers: dpopHeaders(t, proof(holder, { htu: htu('/mcp/tools'), token: t })) });
      assert.equal(ok.status, 200, ok.body);
      const stripped = await send(server.port, { path: '/mcp/tools', headers: dpopHeaders(t, proof(holder, { htu: htu('/tools'), token: t })) });
      assert.equal(stripped.status, 401);
      assert.equal(JSON.parse(stripped.body).error_description, PROOF_DESCRIPTIONS.dpop_htu_mismatch);
    } finally {
      await server.close();
    }
  });
});

describe('DPoP options: refused at setup, by name', () => {
  const configWith = (dpop) => () =>
    new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [{ issuer: 'https://as.example.com', type: 'oauth' }] }, dpop } });
  const refused = (make, pattern) =>
    assert.throws(make, (error) => {
      assert.ok(error instanceof MCPAuthAuthServerError);
      assert.equal(error.code, 'invalid_server_config');
      assert.match(String(error.cause?.cause ?? error.cause), pattern);
      return true;
    });

  it('mode, algorithms, iatWindow, nonce, replayCacheSize and storeTimeout', () => {
    refused(configWith('on'), /'off', 'allowed' or 'required'/);
    refused(configWith({ mode: 'sometimes' }), /'off', 'allowed' or 'required'/);
    refused(configWith({ algorithms: ['HS256'] }), /HS256/);
    refused(configWith({ algorithms: ['none'] }), /none/);
    refused(configWith({ algorithms: [] }), /dpop\.algorithms/);
    refused(configWith({ iatWindow: 0 }), /dpop\.iatWindow/);
    refused(configWith({ iatWindow: 3601 }), /dpop\.iatWindow/);
    refused(configWith({ iatWindow: Number.NaN }), /dpop\.iatWindow/);
    refused(configWith({ nonce: { secret: 'short' } }), /dpop\.nonce\.secret/);
    refused(configWith({ nonce: { lifetime: 1 } }), /dpop\.nonce\.lifetime/);
    refused(configWith({ replayCacheSize: 0 }), /dpop\.replayCacheSize/);
    refused(configWith({ store: {} }), /store/);
    refused(configWith({ store: { get() {}, set() {}, setIfAbsent() {}, delete() {} }, storeTimeout: 0 }), /storeTimeout. must be an integer number of milliseconds from 1 to 60000/);
    refused(configWith(42), /`dpop` must be/);
  });

  it('where DPoP is set: on the resource, not on bearerAuth; only with a resource', () => {
    const mcpAuth = configWith(undefined)();
    refused(() => mcpAuth.bearerAuth('jwt', { resource: RESOURCE, dpop: 'required' }), /set `dpop` on the protected resource/);
    refused(() => handleBearerAuth({ verifyAccessToken: customVerify, issuer: 'https://as.example.com', dpop: 'allowed' }), /needs `resource`/);
    // No resource, no setting: DPoP is off, nothing to refuse.
    assert.equal(typeof handleBearerAuth({ verifyAccessToken: customVerify, issuer: 'https://as.example.com' }), 'function');
  });
});

describe("DPoP with opaque tokens ('introspection' mode): the answer's cnf.jkt binds the token (RFC 9449 §6.2)", () => {
  it('a proof of the bound key passes; the token as Bearer, or with another key, does not', async () => {
    const { startIntrospectionServer, RESOURCE: INTROSPECTED } = await import('./helpers/introspection-server.mjs');
    const endpoint = await startIntrospectionServer();
    endpoint.state.answer = () => ({ body: endpoint.active({ scope: 'mcp:read', cnf: { jkt: holder.jkt } }) });
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: INTROSPECTED, authorizationServers: [{ issuer: endpoint.issuer, type: 'oauth' }] } } });
    const server = await serveApp(express, (app) => {
      app.get('/mcp', mcpAuth.bearerAuth('introspection', { resource: INTROSPECTED, introspection: { clientId: 'rs', clientSecret: 's3cret' } }), (req, res) =>
        res.json({ sub: req.auth.subject, jkt: req.auth.claims.cnf.jkt }),
      );
    });
    try {
      const opaque = 'opaque-bound-token';
      const ok = await send(server.port, { headers: dpopHeaders(opaque, proof(holder, { htu: INTROSPECTED, token: opaque })) });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(JSON.parse(ok.body).jkt, holder.jkt);
      const asBearer = await send(server.port, { headers: [['Authorization', `Bearer ${opaque}`]] });
      assert.equal(asBearer.status, 401);
      assert.equal(JSON.parse(asBearer.body).error_description, TOKEN_DESCRIPTIONS.sender_constrained);
      // A proof that is not even JWS-shaped costs no introspection call.
      const calls = endpoint.state.calls;
      const junk = await send(server.port, { headers: dpopHeaders('opaque-never-seen', 'junk') });
      assert.equal(JSON.parse(junk.body).error_description, PROOF_DESCRIPTIONS.dpop_proof_malformed);
      assert.equal(endpoint.state.calls, calls);
      const otherKey = await send(server.port, { headers: dpopHeaders(opaque, proof(other, { htu: INTROSPECTED, token: opaque })) });
      assert.equal(otherKey.status, 401);
      assert.equal(JSON.parse(otherKey.body).error_description, PROOF_DESCRIPTIONS.dpop_jkt_mismatch);
    } finally {
      await server.close();
      await endpoint.close();
    }
  });
});
