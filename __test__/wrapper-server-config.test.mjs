// fetchServerConfig / fetchServerConfigByWellKnownUrl / validateServerConfig
// against the local authorization server: mcp-auth's API, plus the issuer
// check (RFC 8414 §3.3) and an awaited transpileData.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  fetchServerConfig,
  fetchServerConfigByWellKnownUrl,
  validateServerConfig,
  getIssuer,
  serverMetadataPaths,
  defaultValues,
  MCPAuthAuthServerError,
  MCPAuthConfigError,
} from 'mcp-auth-rs';
import { startAuthServer } from './helpers/auth-server.mjs';

describe('fetchServerConfig', () => {
  let as;
  before(async () => {
    as = await startAuthServer({ issuerPath: '/tenant' });
  });
  after(() => as?.close());

  for (const type of ['oauth', 'oidc']) {
    it(`${type}: returns { type, metadata } with camelCase members`, async () => {
      const config = await fetchServerConfig(as.issuer, { type });
      assert.equal(config.type, type);
      assert.equal(config.metadata.issuer, as.issuer);
      assert.equal(config.metadata.jwksUri, as.jwksUri);
      assert.equal(config.metadata.authorizationEndpoint, `${as.issuer}/authorize`);
      assert.deepEqual(config.metadata.codeChallengeMethodsSupported, ['S256']);
      assert.equal(getIssuer(config), as.issuer);
    });
  }

  it('awaits an async transpileData and validates what it returns', async () => {
    const config = await fetchServerConfig(as.issuer, {
      type: 'oidc',
      transpileData: async (data) => ({ ...data, registration_endpoint: 'https://patched.example/register' }),
    });
    assert.equal(config.metadata.registrationEndpoint, 'https://patched.example/register');
    const unchanged = await fetchServerConfig(as.issuer, { type: 'oidc', transpileData: () => undefined });
    assert.equal(unchanged.metadata.registrationEndpoint, `${as.issuer}/register`);
  });

  it('refuses a document whose issuer differs, even one rewritten by transpileData', async () => {
    const isMismatch = (error) =>
      error instanceof MCPAuthAuthServerError && error.code === 'invalid_server_metadata' && error.cause.code === 'issuer_mismatch';
    await assert.rejects(
      fetchServerConfig(as.issuer, { type: 'oidc', transpileData: (data) => ({ ...data, issuer: 'https://evil.example' }) }),
      isMismatch,
    );
    as.setMetadata({ issuer: 'https://evil.example' });
    try {
      await assert.rejects(fetchServerConfig(as.issuer, { type: 'oauth' }), (error) => error instanceof MCPAuthAuthServerError);
    } finally {
      as.setMetadata(undefined);
    }
  });

  it('an unreachable server is an MCPAuthConfigError that keeps the addon code', async () => {
    as.setFault('*', 'down');
    try {
      await assert.rejects(fetchServerConfig(as.issuer, { type: 'oauth' }), (error) => {
        assert.ok(error instanceof MCPAuthConfigError);
        assert.equal(error.code, 'fetch_server_config_error');
        assert.equal(error.cause.code, 'discovery_unavailable');
        return true;
      });
    } finally {
      as.clearFaults();
    }
  });

  it('fetchServerConfigByWellKnownUrl takes a string or a URL', async () => {
    const byString = await fetchServerConfigByWellKnownUrl(`${as.url}${as.paths.oauth}`, { type: 'oauth' });
    const byUrl = await fetchServerConfigByWellKnownUrl(new URL(`${as.url}${as.paths.oidc}`), { type: 'oidc' });
    assert.equal(byString.metadata.issuer, as.issuer);
    assert.equal(byUrl.type, 'oidc');
    const transpiled = await fetchServerConfigByWellKnownUrl(`${as.url}${as.paths.oauth}`, {
      type: 'oauth',
      transpileData: async (data) => ({ ...data, service_documentation: 'https://docs.example' }),
    });
    assert.equal(transpiled.metadata.serviceDocumentation, 'https://docs.example');
    await assert.rejects(fetchServerConfigByWellKnownUrl(`${as.url}/missing`, { type: 'oauth' }), MCPAuthConfigError);
  });
});

describe('validateServerConfig and constants', () => {
  const config = {
    type: 'oauth',
    metadata: {
      issuer: 'https://as.example',
      authorizationEndpoint: 'https://as.example/a',
      tokenEndpoint: 'https://as.example/t',
      responseTypesSupported: ['code'],
      codeChallengeMethodsSupported: ['S256'],
    },
  };

  it("has mcp-auth's result shape: errors only when invalid, successes only when verbose", () => {
    const valid = validateServerConfig(config);
    assert.deepEqual(Object.keys(valid), ['isValid', 'warnings']);
    assert.equal(valid.isValid, true);
    assert.deepEqual(valid.warnings.map((w) => w.code), ['dynamic_registration_not_supported']);

    const verbose = validateServerConfig(config, true);
    assert.ok(verbose.successes.some((s) => s.code === 's256_code_challenge_method_supported'));

    const invalid = validateServerConfig({ ...config, metadata: { ...config.metadata, codeChallengeMethodsSupported: undefined } });
    assert.equal(invalid.isValid, false);
    assert.deepEqual(invalid.errors.map((e) => e.code), ['pkce_not_supported']);
  });

  it('exports the well-known paths and RFC 8414 defaults', () => {
    assert.deepEqual(serverMetadataPaths, { oauth: '/.well-known/oauth-authorization-server', oidc: '/.well-known/openid-configuration' });
    assert.ok(Object.isFrozen(serverMetadataPaths));
    assert.deepEqual(defaultValues, { grantTypesSupported: ['authorization_code', 'implicit'], responseModesSupported: ['query', 'fragment'] });
    assert.equal(getIssuer({ issuer: 'https://x', type: 'oidc' }), 'https://x');
  });
});
