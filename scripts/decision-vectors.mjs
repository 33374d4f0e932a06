// Drives today's TypeScript decision (lib/authenticate.ts and what it uses,
// from dist/ after `npm run build`) over a table of requests, challenges,
// scope hierarchies and metadata documents, and writes what it answers to
// crates/mcp-auth-core/tests/fixtures/decision-vectors.json. The Rust port
// (crates/mcp-auth-core/src/decision) must reproduce every byte.
//   node scripts/decision-vectors.mjs            (rewrite the fixture)
//   node scripts/decision-vectors.mjs --check    (fail if it no longer matches; npm test runs this)
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { MCPAuthBearerAuthError, MCPAuthTokenVerificationError, MCPAuthAuthServerError, isCorsPreflight } from 'mcp-auth-rs';

const require = createRequire(import.meta.url);
const { createAuthenticator } = require('../dist/authenticate.js');
const { buildChallenge } = require('../dist/challenge.js');
const { compileScopeHierarchy } = require('../dist/scopes.js');
const { buildResourceMetadataDocument, protectedResourceMetadataUrl } = require('../dist/resource-metadata.js');
const { codedError, nativeErrorKind } = require('../dist/errors.js');
const { snakeCaseKeys, isPlainObject } = require('../dist/case.js');
const { errorCodes } = require('../dist/native.js');

const silent = { active: false, emit() {} };
const vectors = { decide: [], refuse: [], authorize: [], rechallenge: [], challenges: [], hierarchies: [], metadata: [], preflight: [] };

function gate(dpop, sink = {}) {
  if (!dpop) return undefined;
  return {
    mode: dpop.mode,
    algorithms: dpop.algorithms,
    verify(proof, method, url, token, jkt) {
      sink.proof = proof;
      sink.htu = url;
      if (sink.proofError) throw sink.proofError;
      return { proof };
    },
    record() {},
    nonce: () => dpop.nonce,
    listen() {},
  };
}

function authenticator(config, verifyToken, sink) {
  return createAuthenticator({
    verifyToken,
    resourceMetadataUrl: config.resourceMetadataUrl,
    requiredScopes: config.requiredScopes,
    expandScopes: config.hierarchy ? compileScopeHierarchy(Object.fromEntries(config.hierarchy)) : undefined,
    showErrorDetails: config.showErrorDetails,
    maxTokenLength: config.maxTokenLength,
    events: silent,
    dpop: gate(config.dpop, sink),
  });
}

const asResponse = (d) => ({ status: d.status, headers: Object.entries(d.headers), body: d.body });

function toAuthRequest({ method = 'GET', url = '/mcp', originalUrl, headers }) {
  const record = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (key === 'authorization') record[key] ??= value;
    else record[key] = record[key] === undefined ? value : `${record[key]}, ${value}`;
  }
  return { method, url, ...(originalUrl ? { originalUrl } : {}), headers: record, rawHeaders: headers.flat() };
}

// ---- configurations ---------------------------------------------------------
const algorithms = ['ES256', 'EdDSA', 'RS256'];
const base = { resourceMetadataUrl: 'https://api.example/.well-known/oauth-protected-resource/mcp', requiredScopes: [], showErrorDetails: false, maxTokenLength: 8192 };
const configs = {
  bearer: { ...base, dpop: null },
  bearerScoped: { ...base, dpop: null, requiredScopes: ['mcp:read', 'mcp:write'], showErrorDetails: true },
  noMetadata: { ...base, resourceMetadataUrl: undefined, dpop: null, maxTokenLength: 16 },
  allowed: { ...base, dpop: { mode: 'allowed', algorithms } },
  allowedScoped: { ...base, dpop: { mode: 'allowed', algorithms, nonce: 'n0nce-1' }, requiredScopes: ['mcp:read'], showErrorDetails: true },
  required: { ...base, dpop: { mode: 'required', algorithms: ['ES256'] } },
  requiredDetails: { ...base, dpop: { mode: 'required', algorithms: ['ES256'] }, showErrorDetails: true, requiredScopes: ['a"b'] },
  hierarchy: { ...base, dpop: null, requiredScopes: ['todos:read', 'todos:list'], hierarchy: [['todos:admin', ['todos:write', 'todos:read']], ['todos:write', ['todos:list', 'todos:read']]] },
};

// ---- step one: the header table ---------------------------------------------
const tok = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
const jws = 'eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJHRVQifQ.c2ln';
const A = (v) => ['Authorization', v];
const requests = [
  { name: 'missing', headers: [] },
  { name: 'empty value', headers: [A('')] },
  { name: 'Basic', headers: [A('Basic dXNlcjpwYXNz')] },
  { name: 'Digest', headers: [A('Digest username="a", realm="b"')] },
  { name: 'Bearerx', headers: [A(`Bearerx ${tok}`)] },
  { name: 'Token', headers: [A(`Token ${tok}`)] },
  { name: 'bearer lower', headers: [A(`bearer ${tok}`)] },
  { name: 'BEARER upper', headers: [A(`BEARER ${tok}`)] },
  { name: 'several spaces', headers: [A(`Bearer    ${tok}`)] },
  { name: 'Bearer alone', headers: [A('Bearer')] },
  { name: 'Bearer spaces', headers: [A('Bearer    ')] },
  { name: 'two parts', headers: [A(`Bearer ${tok} ${tok}`)] },
  { name: 'trailing garbage', headers: [A(`Bearer ${tok} x`)] },
  { name: 'tab', headers: [A(`Bearer\t${tok}`)] },
  { name: 'glued', headers: [A(`Bearer${tok}`)] },
  { name: 'comma', headers: [A(`Bearer ${tok},x`)] },
  { name: 'quoted', headers: [A(`Bearer "${tok}"`)] },
  { name: 'semicolon', headers: [A('Bearer abc;def')] },
  { name: 'non-ASCII', headers: [A('Bearer abc\u00e9def')] },
  { name: 'leading space', headers: [A(' Bearer abc')] },
  { name: 'padding inside', headers: [A('Bearer ab==cd')] },
  { name: 'b64 + / =', headers: [A('Bearer a+b/c==')] },
  { name: 'tilde segments', headers: [A('Bearer ~~~.~~~.~~~')] },
  { name: 'padding alone', headers: [A('Bearer ==')] },
  { name: 'auth-param', headers: [A('Bearer token="abc"')] },
  { name: 'duplicate', headers: [A(`Bearer ${tok}`), A(`Bearer ${tok}`)] },
  { name: 'duplicate case', headers: [['authorization', `Bearer ${tok}`], ['AUTHORIZATION', `Bearer ${tok}`]] },
  { name: 'duplicate one empty', headers: [A(''), A(`Bearer ${tok}`)] },
  { name: 'duplicate Basic then Bearer', headers: [A('Basic dXNlcjpwYXNz'), A(`Bearer ${tok}`)] },
  { name: 'query token', url: `/mcp?access_token=${tok}`, headers: [A(`Bearer ${tok}`)] },
  { name: 'query token encoded name', url: '/mcp?x=1&access%5Ftoken=1', headers: [] },
  { name: 'query token plus', url: '/mcp?access_token+=1', headers: [A(`Bearer ${tok}`)] },
  { name: 'query token no value', url: '/mcp?a=b&access_token', headers: [A(`Bearer ${tok}`)] },
  { name: 'query other', url: '/mcp?session=1&token=x', headers: [A(`Bearer ${tok}`)] },
  { name: 'query bad percent', url: '/mcp?%zz&access_token%=1', headers: [A(`Bearer ${tok}`)] },
  { name: 'token 8193', headers: [A(`Bearer ${'a'.repeat(8193)}`)] },
  { name: 'token 8192', headers: [A(`Bearer ${'a'.repeat(8192)}`)] },
  { name: 'token 17', headers: [A(`Bearer ${'a'.repeat(17)}`)] },
  { name: 'token 16 non-ASCII bytes', headers: [A(`Bearer ${'é'.repeat(16)}`)] },
  { name: 'token 17 astral', headers: [A(`Bearer ${'a'.repeat(14)}😀`)] },
  { name: 'DPoP scheme', headers: [A(`DPoP ${tok}`), ['DPoP', jws]] },
  { name: 'dpop lower, POST, mounted', method: 'POST', url: '/?q=1', originalUrl: '/mcp/?q=1', headers: [A(`dpop ${tok}`), ['dpop', jws]] },
  { name: 'DPoP no proof', headers: [A(`DPoP ${tok}`)] },
  { name: 'DPoP empty proof', headers: [A(`DPoP ${tok}`), ['DPoP', '']] },
  { name: 'DPoP two proofs', headers: [A(`DPoP ${tok}`), ['DPoP', jws], ['dpop', jws]] },
  { name: 'DPoP comma', headers: [A(`DPoP ${tok}`), ['DPoP', `${jws},${jws}`]] },
  { name: 'DPoP two segments', headers: [A(`DPoP ${tok}`), ['DPoP', 'a.b']] },
  { name: 'DPoP four segments', headers: [A(`DPoP ${tok}`), ['DPoP', 'a.b.c.d']] },
  { name: 'DPoP empty signature', headers: [A(`DPoP ${tok}`), ['DPoP', 'a.b.']] },
  { name: 'DPoP empty header segment', headers: [A(`DPoP ${tok}`), ['DPoP', '.b.c']] },
  { name: 'DPoP padding', headers: [A(`DPoP ${tok}`), ['DPoP', 'a=.b.c']] },
  { name: 'DPoP oversize', headers: [A(`DPoP ${tok}`), ['DPoP', `${'a'.repeat(8190)}.b.c`]] },
  { name: 'DPoP max size', headers: [A(`DPoP ${tok}`), ['DPoP', `${'a'.repeat(8188)}.b.c`]] },
  { name: 'DPoP token too large', headers: [A(`DPoP ${'a'.repeat(8193)}`), ['DPoP', jws]] },
  { name: 'DPoP empty token', headers: [A('DPoP '), ['DPoP', jws]] },
  { name: 'DPoP b64 bad token', headers: [A('DPoP a b'), ['DPoP', jws]] },
  { name: 'OPTIONS preflight-like (authenticated anyway)', method: 'OPTIONS', headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']] },
];

for (const [configName, config] of Object.entries(configs)) {
  for (const request of requests) {
    const sink = { proofError: codedError('dpop_bad_signature', 'stop') };
    let verified;
    const verify = (token) => {
      verified = token;
      return { token, clientId: 'c', scopes: [], claims: { cnf: { jkt: 'j' } } };
    };
    const decision = authenticator(config, verify, sink)(toAuthRequest(request));
    const outcome = verified === undefined
      ? { respond: asResponse(decision) }
      : { credentials: { token: verified, scheme: sink.proof === undefined ? 'bearer' : 'dpop', proof: sink.proof ?? null, htu: sink.htu ?? null } };
    vectors.decide.push({ name: `${configName}: ${request.name}`, config: configName, request: { method: request.method ?? 'GET', url: request.url ?? '/mcp', originalUrl: request.originalUrl ?? null, headers: request.headers }, ...outcome });
  }
}

// ---- refusals after verification ---------------------------------------------
const userErrors = [
  ['missing scopes (given)', () => new MCPAuthBearerAuthError('missing_required_scopes', { missingScopes: ['x', 'y'] }), { kind: 'missingScopes', missing: ['x', 'y'] }],
  ['missing scopes (none)', () => new MCPAuthBearerAuthError('missing_required_scopes'), { kind: 'missingScopes', missing: null }],
  ['invalid issuer', () => new MCPAuthBearerAuthError('invalid_issuer', { cause: 'iss' }), null],
  ['hostile message', () => { const e = new MCPAuthTokenVerificationError('invalid_token', { someDetail: { innerKey: 1 } }); e.message = 'bad "x" \\ \u00e9\r\nok'; return e; }, null],
  ['empty message', () => { const e = new MCPAuthTokenVerificationError('token_verification_failed'); e.message = '\u00e9\u00e9'; return e; }, null],
  ['unknown code message', () => { const e = new MCPAuthTokenVerificationError('invalid_token', new Error('x')); e.code = 'weird_code'; e.message = ''; return e; }, null],
  ['auth server error', () => new MCPAuthAuthServerError('invalid_server_metadata'), { kind: 'server', code: 'invalid_server_metadata', description: 'The server metadata is invalid or malformed.' }],
  ['plain error', () => new Error('boom'), { kind: 'unexpected' }],
];
const codes = [...errorCodes().map((e) => e.code), 'verify_timeout', 'not_a_code'];
const headersFor = { bearer: [A(`Bearer ${tok}`)], dpop: [A(`DPoP ${tok}`), ['DPoP', jws]] };
for (const configName of ['bearer', 'allowed', 'allowedScoped', 'requiredDetails', 'bearerScoped']) {
  const config = configs[configName];
  const schemes = config.dpop === null ? ['bearer'] : config.dpop.mode === 'required' ? ['dpop'] : ['bearer', 'dpop'];
  for (const used of schemes) {
    const run = (error) => asResponse(authenticator(config, () => { throw error; })(toAuthRequest({ headers: headersFor[used] })));
    for (const code of codes) {
      for (const retryAfter of nativeErrorKind(code) === 'infrastructure' ? [undefined, 2.5, 0] : [undefined]) {
        const error = Object.assign(codedError(code, `reason of ${code}`), retryAfter === undefined ? {} : { retryAfter });
        vectors.refuse.push({ name: `${configName}/${used}: ${code} ${retryAfter ?? ''}`, config: configName, used, refusal: { kind: 'coded', code, fault: nativeErrorKind(code), reason: `reason of ${code}`, retryAfter: retryAfter ?? null, nonce: config.dpop?.nonce ?? null }, expect: run(error) });
      }
    }
    for (const [name, make, refusal] of userErrors) {
      const error = make();
      const cause = typeof error.cause === 'string' || isPlainObject(error.cause) ? JSON.stringify(snakeCaseKeys(error.cause)) : null;
      const described = { kind: 'described', code: error.code, message: error.message, causeJson: cause };
      vectors.refuse.push({ name: `${configName}/${used}: ${name}`, config: configName, used, refusal: refusal ?? described, expect: run(error) });
    }
  }
  // A proof check's failure, through the gate (the used scheme is DPoP).
  if (config.dpop) {
    const sink = { proofError: codedError('dpop_htu_mismatch', 'htu') };
    const d = authenticator(config, () => ({ scopes: [], claims: { cnf: { jkt: 'j' } } }), sink)(toAuthRequest({ headers: headersFor.dpop }));
    vectors.refuse.push({ name: `${configName}: proof via gate`, config: configName, used: 'dpop', refusal: { kind: 'coded', code: 'dpop_htu_mismatch', fault: 'proof', reason: 'htu', retryAfter: null, nonce: null }, expect: asResponse(d) });
  }
}

// ---- binding and scopes ------------------------------------------------------
const grants = [[], ['mcp:read'], ['mcp:read', 'mcp:write', 'mcp:read'], ['todos:admin'], ['todos:write', 'x'], ['todos:read']];
for (const [configName, config] of Object.entries(configs)) {
  const schemes = config.dpop === null ? ['bearer'] : config.dpop.mode === 'required' ? ['dpop'] : ['bearer', 'dpop'];
  for (const used of schemes) {
    for (const claims of [{}, { cnf: {} }, { cnf: { jkt: 'j' } }]) {
      for (const scopes of grants) {
        const sink = {};
        const d = authenticator(config, () => ({ scopes, claims }), sink)(toAuthRequest({ headers: headersFor[used] }));
        const expect = d.ok ? { accept: d.auth.effectiveScopes } : { respond: asResponse(d) };
        vectors.authorize.push({ name: `${configName}/${used} ${JSON.stringify(claims)} ${scopes}`, config: configName, used, headers: headersFor[used], cnfPresent: claims.cnf !== undefined, jktPresent: typeof claims.cnf?.jkt === 'string', granted: scopes, ...expect });
        if (d.ok && used === 'bearer' && scopes.length === 0) {
          for (const header of ['Bearer error="insufficient_scope", scope="a b", error_description="need \\"a\\""', 'Bearer error="insufficient_scope", resource_metadata="https://other/x"', 'bearer  Error=insufficient_scope,', 'Bearer error="invalid_token"', 'DPoP error="insufficient_scope"', 'Bearer error="insufficient_scope" scope="a"']) {
            for (const as of schemes) {
              const again = authenticator(config, () => ({ scopes, claims }), {})(toAuthRequest({ headers: headersFor[as] }));
              if (!again.ok) continue;
              vectors.rechallenge.push({ config: configName, used: as, header, expect: again.rechallenge?.(header) ?? null });
            }
          }
        }
      }
    }
  }
}

// ---- challenges, hierarchies, metadata, preflight ----------------------------
for (const scheme of [undefined, 'Bearer', 'DPoP']) {
  for (const error of [undefined, '', 'invalid_token', 'a"b\\c']) {
    for (const errorDescription of [undefined, 'Plain.', 'Quote " back \\ é\u0100\ttab\u0000']) {
      for (const scope of [undefined, 'a b', 'x"y']) {
        const params = { scheme, algs: scheme === 'DPoP' ? 'ES256 EdDSA' : undefined, error, errorDescription, resourceMetadata: scope === 'a b' ? 'https://r.example/.well-known/oauth-protected-resource?x="1"' : undefined, scope };
        vectors.challenges.push({ params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v ?? null])), expect: buildChallenge(params) });
      }
    }
  }
}
const hierarchies = [
  [['a', ['b', 'c', 'b']], ['b', ['d']], ['d', []]],
  [['a', ['b']], ['b', ['c']], ['c', ['a']]],
  [['x', ['y']], ['y', ['y']]],
  [['a', ['offline_access']]],
  [['offline_access', []]],
  [['a b', []]],
  [['a', ['é']]],
  [['a', ['']]],
];
for (const entries of hierarchies) {
  let expect;
  try {
    const expand = compileScopeHierarchy(Object.fromEntries(entries));
    expect = { expansions: [['a'], ['d', 'a', 'x'], ['x', 'x'], ['b', 'a']].map((g) => [g, expand(g)]) };
  } catch (error) {
    expect = { error: error.message.replace('The server configuration does not match the MCP specification. ', '') };
  }
  vectors.hierarchies.push({ entries, expect });
}
const dpopAdverts = [undefined, { mode: 'allowed', algorithms: ['ES256', 'PS256'] }, { mode: 'required', algorithms: ['EdDSA'] }];
const metadatas = [
  { resource: 'https://api.example/mcp', authorizationServers: [{ issuer: 'https://as.example' }], scopesSupported: ['mcp:read', 'offline_access'] },
  { resource: 'https://api.example', authorizationServers: [], scopesSupported: ['offline_access'], resourceName: 'Todo "API"', resourceDocumentation: '', jwksUri: null, bearerMethodsSupported: ['body'], tlsClientCertificateBoundAccessTokens: false, authorizationDetailsTypesSupported: ['a', 'b'] },
  { resource: 'https://API.example:443/a/b?c=d', scopes_supported: ['kept place'], resourceSigningAlgValuesSupported: ['RS256'], extraNumbers: [1, 2] },
];
for (const metadata of metadatas) {
  for (const dpop of dpopAdverts) {
    const { resource, authorizationServers, scopesSupported, ...other } = metadata;
    vectors.metadata.push({
      input: { resource, authorizationServers: authorizationServers?.map((s) => s.issuer) ?? null, scopesSupported: scopesSupported ?? null, other: Object.entries(other).filter(([k]) => k !== 'bearerMethodsSupported') },
      dpop: dpop ?? null,
      expect: JSON.stringify(buildResourceMetadataDocument({ ...metadata, authorizationServers: authorizationServers?.map((s) => ({ metadata: s })) }, dpop)),
      url: protectedResourceMetadataUrl(new URL(resource)).href,
    });
  }
}
for (const [method, headers] of [['OPTIONS', [['Origin', 'o'], ['Access-Control-Request-Method', 'POST']]], ['OPTIONS', [['origin', ''], ['ACCESS-CONTROL-REQUEST-METHOD', '']]], ['OPTIONS', [['Origin', 'o']]], ['POST', [['Origin', 'o'], ['Access-Control-Request-Method', 'POST']]], ['options', [['Origin', 'o'], ['Access-Control-Request-Method', 'POST']]]]) {
  vectors.preflight.push({ method, headers, expect: isCorsPreflight(toAuthRequest({ method, headers })) });
}

const out = new URL('../crates/mcp-auth-core/tests/fixtures/decision-vectors.json', import.meta.url);
const text = `${JSON.stringify({ configs, vectors }, null, 1)}\n`;
// `--check`: the committed fixture must still be what the TypeScript answers.
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== text) {
    console.error('decision vectors: the TypeScript decision no longer matches the fixture; run `node scripts/decision-vectors.mjs` and review the diff');
    process.exit(1);
  }
  console.log(`decision vectors: the fixture matches the TypeScript decision`);
} else {
  writeFileSync(out, text);
}
const total = Object.values(vectors).reduce((n, list) => n + list.length, 0);
console.log(`${total} vectors: ${Object.entries(vectors).map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
