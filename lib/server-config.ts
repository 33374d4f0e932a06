// Authorization-server metadata: discovery (RFC 8414 / OIDC Discovery) and
// validation. Fetching, the issuer-equality check and schema validation run
// in the addon; this module adapts them to mcp-auth's API and error classes.

import { toMCPAuthError } from './errors.js';
import * as native from './native.js';
import { assertKnownKeys, optionKeys } from './option-keys.js';
import type {
  AuthServerConfig,
  AuthServerConfigValidationResult,
  AuthServerSuccess,
  ResolvedAuthServerConfig,
  ServerMetadataConfig,
} from './types.js';

export const serverMetadataPaths = Object.freeze({
  oauth: '/.well-known/oauth-authorization-server',
  oidc: '/.well-known/openid-configuration',
} as const);

/** RFC 8414 §2 defaults for members an authorization server may leave out. */
export const defaultValues = Object.freeze({
  grantTypesSupported: Object.freeze(['authorization_code', 'implicit']),
  responseModesSupported: Object.freeze(['query', 'fragment']),
});

// Declared with the other public option types (types.ts), so option-keys.ts imports no module that imports it.
export type { ServerMetadataConfig } from './types.js';

export function getIssuer(config: AuthServerConfig): string {
  return 'metadata' in config ? config.metadata.issuer : config.issuer;
}

/**
 * Discovers the metadata of `issuer`. The fetched document is used only when
 * its `issuer` is byte-identical to the one asked for (RFC 8414 §3.3).
 */
export async function fetchServerConfig(issuer: string, config: ServerMetadataConfig): Promise<ResolvedAuthServerConfig> {
  assertKnownKeys(config, optionKeys.serverMetadataConfig, { owner: 'fetchServerConfig' });
  const { type, transpileData } = config;
  return withMCPAuthErrors(async () => {
    if (!transpileData) return native.fetchServerConfig(issuer, { type });
    const { document } = await native.fetchServerMetadata(issuer, { type });
    return native.toServerConfig(type, (await transpileData(document)) ?? document, issuer);
  });
}

/** Fetches metadata from an explicit well-known URL. */
export async function fetchServerConfigByWellKnownUrl(
  wellKnownUrl: string | URL,
  config: ServerMetadataConfig,
): Promise<ResolvedAuthServerConfig> {
  assertKnownKeys(config, optionKeys.serverMetadataConfig, { owner: 'fetchServerConfigByWellKnownUrl' });
  const { type, transpileData } = config;
  const url = String(wellKnownUrl);
  return withMCPAuthErrors(async () => {
    if (!transpileData) return native.fetchServerConfigByWellKnownUrl(url, { type });
    const { document } = await native.fetchServerMetadataByWellKnownUrl(url);
    return native.toServerConfig(type, (await transpileData(document)) ?? document, null);
  });
}

async function withMCPAuthErrors(fetch: () => Promise<native.NativeServerConfig>): Promise<ResolvedAuthServerConfig> {
  try {
    return (await fetch()) as unknown as ResolvedAuthServerConfig;
  } catch (error) {
    throw native.isNativeError(error) ? toMCPAuthError(error) : error;
  }
}

/** The two call shapes of `validateServerConfig`: with `verbose: true` the passed checks come back too. @inline */
type ValidateServerConfig = {
  (config: Readonly<ResolvedAuthServerConfig>): AuthServerConfigValidationResult;
  (config: Readonly<ResolvedAuthServerConfig>, verbose: true): AuthServerConfigValidationResult & {
    successes: AuthServerSuccess[];
  };
};

/**
 * Checks that an authorization server can serve MCP clients (code flow,
 * PKCE with S256, and whether it offers dynamic client registration).
 */
export const validateServerConfig: ValidateServerConfig = ((config: Readonly<ResolvedAuthServerConfig>, verbose: boolean = false) => {
  const { isValid, errors, warnings, successes } = native.validateServerConfig(
    config as unknown as native.NativeServerConfig,
    verbose,
  );
  // mcp-auth's shape: `errors` only when invalid, `successes` only when verbose.
  return {
    isValid,
    ...(isValid ? {} : { errors }),
    warnings,
    ...(verbose ? { successes: successes ?? [] } : {}),
  };
}) as ValidateServerConfig;
