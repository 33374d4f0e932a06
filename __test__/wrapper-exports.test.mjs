// Package surface: ESM and CommonJS entry points expose the same objects
// (no dual-package hazard), mcp-auth's root exports are present, and the
// error classes keep mcp-auth's codes, messages and toJson shapes.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import * as esm from 'mcp-auth-rs';

const cjs = createRequire(import.meta.url)('mcp-auth-rs');
const {
  MCPAuthError,
  MCPAuthConfigError,
  MCPAuthAuthServerError,
  MCPAuthBearerAuthError,
  MCPAuthTokenVerificationError,
  authServerErrorDescription,
  bearerAuthErrorDescription,
  tokenVerificationErrorDescription,
} = esm;

describe('entry points', () => {
  it('import and require give the very same objects', () => {
    assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
    for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
    assert.ok(new cjs.MCPAuthBearerAuthError('invalid_token') instanceof esm.MCPAuthError);
  });

  it("has mcp-auth 0.2's root runtime exports (except its zod schemas)", () => {
    const expected = [
      'MCPAuth', 'MCPAuthError', 'MCPAuthConfigError', 'MCPAuthAuthServerError', 'MCPAuthBearerAuthError',
      'MCPAuthTokenVerificationError', 'authServerErrorDescription', 'bearerAuthErrorDescription',
      'tokenVerificationErrorDescription', 'handleBearerAuth', 'fetchServerConfig', 'fetchServerConfigByWellKnownUrl',
      'validateServerConfig', 'getIssuer', 'serverMetadataPaths', 'defaultValues',
    ];
    for (const name of expected) assert.ok(name in esm, `missing export ${name}`);
  });

  it('adds the framework-neutral and scope-check exports', () => {
    for (const name of ['isCorsPreflight', 'requireScopes', 'hasScopes', 'assertScopes']) {
      assert.equal(typeof esm[name], 'function', `missing export ${name}`);
    }
    assert.equal(typeof esm.MCPAuth.prototype.tokenVerifier, 'function');
  });
});

describe('adapter subpaths', () => {
  const require = createRequire(import.meta.url);
  const subpaths = {
    'mcp-auth-rs/hono': ['bearerAuth', 'protectedResourceMetadata'],
    'mcp-auth-rs/fastify': ['bearerAuth', 'protectedResourceMetadata'],
    'mcp-auth-rs/opentelemetry': ['instrument'],
  };
  for (const [specifier, names] of Object.entries(subpaths)) {
    it(`${specifier}: import and require give the same functions`, async () => {
      const imported = await import(specifier);
      const required = require(specifier);
      assert.deepEqual(Object.keys(imported).sort(), names);
      for (const name of names) assert.equal(imported[name], required[name], name);
    });
  }

  it('the root adds the web-standard entry points', () => {
    assert.equal(typeof esm.exposeWwwAuthenticate, 'function');
    for (const name of ['webBearerAuth', 'protectedResourceMetadataResponse', 'protectedResourceMetadataResponder', 'addAuthEventListener']) {
      assert.equal(typeof esm.MCPAuth.prototype[name], 'function', name);
    }
  });
});

describe('error classes', () => {
  it('inherit from MCPAuthError and Error, with own enumerable code, name and cause', () => {
    const cause = { missingScopes: ['a'] };
    const error = new MCPAuthBearerAuthError('missing_required_scopes', cause);
    assert.ok(error instanceof MCPAuthError && error instanceof Error);
    assert.equal(error.name, 'MCPAuthBearerAuthError');
    assert.equal(error.code, 'missing_required_scopes');
    assert.equal(error.message, 'The token does not contain the necessary scopes for this request.');
    assert.equal(error.cause, cause);
    for (const key of ['code', 'name', 'cause']) assert.ok(Object.keys(error).includes(key), key);
  });

  it("keep mcp-auth's codes and default messages", () => {
    assert.deepEqual(authServerErrorDescription, {
      invalid_server_metadata: 'The server metadata is invalid or malformed.',
      invalid_server_config: 'The server configuration does not match the MCP specification.',
      missing_jwks_uri: 'The server metadata does not contain a JWKS URI, which is required for JWT verification.',
    });
    assert.deepEqual(Object.keys(bearerAuthErrorDescription), [
      'missing_auth_header', 'invalid_auth_header_format', 'missing_bearer_token', 'invalid_issuer',
      'invalid_audience', 'missing_required_scopes', 'invalid_token',
    ]);
    assert.equal(bearerAuthErrorDescription.invalid_token, 'The provided token is not valid or has expired.');
    assert.deepEqual(tokenVerificationErrorDescription, {
      invalid_token: 'The provided token is invalid or malformed.',
      token_verification_failed: 'Token verification failed due to an error.',
    });
    for (const table of [authServerErrorDescription, bearerAuthErrorDescription, tokenVerificationErrorDescription]) {
      assert.ok(Object.isFrozen(table));
    }
  });

  it('fall back to a generic message for an unknown code', () => {
    assert.equal(new MCPAuthAuthServerError('other').message, 'An error occurred with the authorization server.');
    assert.equal(new MCPAuthBearerAuthError('other').message, 'An error occurred with the Bearer auth.');
    assert.equal(new MCPAuthTokenVerificationError('other').message, 'An error occurred while verifying the token.');
  });

  it('MCPAuthConfigError takes its own code and message', () => {
    const error = new MCPAuthConfigError('fetch_server_config_error', 'boom');
    assert.deepEqual([error.name, error.code, error.message], ['MCPAuthConfigError', 'fetch_server_config_error', 'boom']);
    assert.ok(error instanceof MCPAuthError);
  });

  it('toJson: camelCase, falsy members dropped, cause only when asked', () => {
    assert.deepEqual(new MCPAuthError('x', 'msg').toJson(), { error: 'x', errorDescription: 'msg' });
    const verification = new MCPAuthTokenVerificationError('invalid_token', { reason: 'r' });
    assert.deepEqual(verification.toJson(), { error: 'invalid_token', errorDescription: 'The provided token is invalid or malformed.' });
    assert.deepEqual(verification.toJson(true).cause, { reason: 'r' });

    const bearer = new MCPAuthBearerAuthError('missing_required_scopes', { missingScopes: ['a'], uri: new URL('https://e.example/x') });
    assert.equal(
      JSON.stringify(bearer.toJson()),
      '{"error":"missing_required_scopes","errorDescription":"The token does not contain the necessary scopes for this request.","errorUri":"https://e.example/x","missingScopes":["a"]}',
    );
    assert.deepEqual(Object.keys(bearer.toJson(true)), ['error', 'errorDescription', 'cause', 'errorUri', 'missingScopes']);
  });
});
