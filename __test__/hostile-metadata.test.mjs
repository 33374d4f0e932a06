// Authorization-server metadata with members named like JavaScript's object
// plumbing (`__proto__`, `constructor`, `prototype`), served by a local server
// on 127.0.0.1 (issue 12, finding 1). Parsed members must be own data
// properties, as JSON.parse makes them, at every depth; nothing inherited may
// be trusted; and no response ever crashes the process or leaks a stack trace.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { MCPAuth, fetchServerConfig, fetchServerConfigByWellKnownUrl, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { generateKey } from './helpers/keys.mjs';
import { startAuthServer } from './helpers/auth-server.mjs';
import { EXPRESS_VERSIONS, serveApp, send, jsonBody } from './helpers/app.mjs';

const AS_PATH = '/.well-known/oauth-authorization-server';
const RESOURCE = 'https://mcp.example.com/mcp';

// Splices hostile members into the helper's default document as raw JSON text
// (a JS object literal would already have eaten `__proto__`).
const hostile = (jwksUri) => (doc) => {
  const members = [
    '"__proto__": {"jwksUri": "https://evil.example/jwks", "polluted": true}',
    '"constructor": {"prototype": {"polluted": true}}',
    '"prototype": {"__proto__": {"polluted": true}}',
    '"op_policy": {"nested": {"__proto__": {"polluted": true}, "constructor": "x"}}',
    '"op_list": [{"__proto__": {"polluted": true}}, [{"__proto__": null}]]',
  ];
  const { jwks_uri: _dropped, ...rest } = doc;
  const base = JSON.stringify(jwksUri === undefined ? rest : { ...rest, jwks_uri: jwksUri });
  return `${base.slice(0, -1)},${members.join(',')}}`;
};

/** Every object reachable from `value` has Object.prototype (or an array's) and only own data members. */
function assertPlainJson(value, path = '$') {
  if (typeof value !== 'object' || value === null) return;
  const expected = Array.isArray(value) ? Array.prototype : Object.prototype;
  assert.equal(Object.getPrototypeOf(value), expected, `${path}: prototype replaced`);
  for (const key of Object.getOwnPropertyNames(value)) {
    if (Array.isArray(value) && key === 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    assert.ok('value' in descriptor && descriptor.enumerable && descriptor.writable, `${path}.${key}: not a data property`);
    assertPlainJson(descriptor.value, `${path}.${key}`);
  }
}

const assertNotPolluted = () => {
  assert.equal({}.polluted, undefined, 'Object.prototype polluted');
  assert.equal([].polluted, undefined, 'Array.prototype polluted');
};

describe('hostile authorization-server metadata', () => {
  let as;
  let bare; // same document without jwks_uri
  before(async () => {
    as = await startAuthServer({ keys: [generateKey('ES256', { kid: 'proto' })] });
    as.setMetadata(hostile(as.jwksUri));
    bare = await startAuthServer({ keys: [] });
    bare.setMetadata(hostile(undefined));
  });
  after(async () => {
    await as?.close();
    await bare?.close();
  });

  it('fetchServerConfig: __proto__, constructor and prototype are own data members at every depth', async () => {
    for (const type of ['oauth', 'oidc']) {
      const { metadata } = await fetchServerConfig(as.issuer, { type });
      assertPlainJson(metadata);
      assert.ok(Object.hasOwn(metadata, '__proto__'));
      assert.deepEqual(Object.getOwnPropertyDescriptor(metadata, '__proto__').value, { jwksUri: 'https://evil.example/jwks', polluted: true });
      assert.equal(metadata.jwksUri, as.jwksUri);
      assert.equal(metadata.polluted, undefined, 'nothing inherited from the document');
      assert.deepEqual(metadata.constructor, { prototype: { polluted: true } });
      assert.ok(Object.hasOwn(metadata.prototype, '__proto__'));
      assert.ok(Object.hasOwn(metadata.opPolicy.nested, '__proto__'));
      assert.ok(Object.hasOwn(metadata.opList[0], '__proto__'));
      assert.equal(Object.getOwnPropertyDescriptor(metadata.opList[1][0], '__proto__').value, null);
      assertNotPolluted();
    }
    const { metadata } = await fetchServerConfigByWellKnownUrl(`${as.url}${AS_PATH}`, { type: 'oauth' });
    assertPlainJson(metadata);
  });

  it('transpileData receives the raw document with own members, and its result is checked the same way', async () => {
    let seen;
    const { metadata } = await fetchServerConfig(as.issuer, {
      type: 'oauth',
      transpileData: (document) => {
        seen = document;
        return { ...document };
      },
    });
    assertPlainJson(seen);
    assert.ok(Object.hasOwn(seen, '__proto__'));
    assert.equal(seen.jwks_uri, as.jwksUri);
    assertPlainJson(metadata);
    assertNotPolluted();
  });

  it('an inherited-looking jwksUri is not trusted: a resolved config without its own jwks_uri is refused at setup', async () => {
    const config = await fetchServerConfig(bare.issuer, { type: 'oauth' });
    assert.equal(config.metadata.jwksUri, undefined);
    const mcpAuth = new MCPAuth({ protectedResources: { metadata: { resource: RESOURCE, authorizationServers: [config] } } });
    assert.throws(
      () => mcpAuth.bearerAuth('jwt', { resource: RESOURCE }),
      (error) => error instanceof MCPAuthAuthServerError && error.code === 'missing_jwks_uri',
    );
  });

  for (const [label, express] of Object.entries(EXPRESS_VERSIONS)) {
    it(`delegatedRouter mirrors the document as JSON, own members kept, lazy and resolved (${label})`, async () => {
      const lazy = new MCPAuth({ server: { issuer: as.issuer, type: 'oauth' } });
      const resolved = new MCPAuth({ server: await fetchServerConfig(as.issuer, { type: 'oauth' }) });
      for (const mcpAuth of [lazy, resolved]) {
        const server = await serveApp(express, (app) => app.use(mcpAuth.delegatedRouter()));
        try {
          for (let i = 0; i < 2; i++) {
            const res = await send(server, { path: AS_PATH });
            assert.equal(res.status, 200, res.body.slice(0, 200));
            const body = jsonBody(res);
            assertPlainJson(body);
            assert.equal(body.jwks_uri, as.jwksUri);
            assert.ok(Object.hasOwn(body, '__proto__'));
            assert.ok(Object.hasOwn(body.op_policy.nested, '__proto__'));
            assert.deepEqual(body.constructor, { prototype: { polluted: true } });
          }
        } finally {
          await server.close();
        }
      }
      assertNotPolluted();
    });
  }

  it('metadata the router cannot serialise is a JSON 500, never a crash or a stack trace', async () => {
    // A class instance passes validation member by member, but is not plain data to mirror.
    class Metadata {
      constructor(issuer) {
        Object.assign(this, {
          issuer,
          authorizationEndpoint: `${issuer}/authorize`,
          tokenEndpoint: `${issuer}/token`,
          jwksUri: `${issuer}/jwks`,
          responseTypesSupported: ['code'],
          codeChallengeMethodsSupported: ['S256'],
        });
      }
    }
    const mcpAuth = new MCPAuth({ server: { type: 'oauth', metadata: new Metadata('https://as.example.com') } });
    for (const express of Object.values(EXPRESS_VERSIONS)) {
      const server = await serveApp(express, (app) => app.use(mcpAuth.delegatedRouter()));
      try {
        const res = await send(server, { path: AS_PATH });
        assert.equal(res.status, 500);
        assert.deepEqual(jsonBody(res), {
          error: 'server_error',
          error_description: 'An unexpected error occurred while authenticating the request.',
        });
        assert.doesNotMatch(res.body, /at .*\.js/);
      } finally {
        await server.close();
      }
    }
  });
});
