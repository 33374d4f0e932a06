// A resolved authorization server (inline metadata, nothing fetched) for
// tests that only construct MCPAuth or serve metadata documents.

/** `https://as.example.com` as `fetchServerConfig` would resolve it; `extra` is merged into the config. */
export const resolvedAuthServer = (extra = {}) => ({
  type: 'oauth',
  metadata: {
    issuer: 'https://as.example.com',
    authorizationEndpoint: 'https://as.example.com/authorize',
    tokenEndpoint: 'https://as.example.com/token',
    jwksUri: 'https://as.example.com/jwks',
    registrationEndpoint: 'https://as.example.com/register',
    introspectionEndpoint: 'https://as.example.com/introspect',
    responseTypesSupported: ['code'],
    codeChallengeMethodsSupported: ['S256'],
  },
  ...extra,
});
