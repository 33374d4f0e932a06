// Setup errors from the addon's constructors. The addon's own `invalid_config`
// reasons never echo a value; napi's argument conversion does (it prints the
// JavaScript value it could not convert, a secret included), so a conversion
// failure is reported by the option's name and expected type only.

import { invalidServerConfig, type MCPAuthAuthServerError } from './errors.js';
import { isNativeError } from './native.js';

// Where the addon's option structs sit in the public options.
const structPaths: Readonly<Record<string, string>> = {
  IntrospectorOptions: 'introspection.',
  DpopOptions: 'dpop.',
  JwtVerifyOptions: 'jwtVerify.',
  RemoteJwkSetOptions: 'remoteJwkSet.',
  TrustedIssuerOptions: 'authorizationServers[].',
  VerifierOptions: '',
};

// Native fields whose public name differs from struct prefix + field.
const fieldPaths: Readonly<Record<string, string>> = {
  'DpopOptions.nonceSecret': 'dpop.nonce.secret',
  'DpopOptions.nonceLifetime': 'dpop.nonce.lifetime',
  'VerifierOptions.staleMaxAge': 'cache.staleMaxAge',
  'VerifierOptions.tokenCacheSize': 'cache.tokenCacheSize',
  'VerifierOptions.tokenCacheMaxAge': 'cache.tokenCacheMaxAge',
  'VerifierOptions.maxResponseBytes': 'cache.maxResponseBytes',
  'VerifierOptions.scopeClaims': 'claims.scopeClaims',
  'VerifierOptions.clientIds': 'claims.clientIds',
  'VerifierOptions.requiredClaimValues': 'claims.requiredClaimValues',
  'IntrospectorOptions.scopeClaims': 'claims.scopeClaims',
  'IntrospectorOptions.clientIds': 'claims.clientIds',
  'IntrospectorOptions.requiredClaimValues': 'claims.requiredClaimValues',
  'IntrospectorOptions.clockTolerance': 'jwtVerify.clockTolerance',
  'IntrospectorOptions.requiredClaims': 'jwtVerify.requiredClaims',
  'IntrospectorOptions.maxTokenLength': 'maxTokenLength',
};

// napi's status codes for a value of the wrong type.
const expectedTypes: Readonly<Record<string, string>> = {
  StringExpected: 'a string',
  NumberExpected: 'a number',
  BooleanExpected: 'a boolean',
  ArrayExpected: 'an array',
  ObjectExpected: 'an object',
  BigintExpected: 'a number',
};

// The innermost `on Struct.field` of napi's trailing chain; the value printed
// before it can never reach this anchored suffix.
const fieldChain = /((?: on [A-Za-z]+\.[A-Za-z0-9_]+)+)$/;

/**
 * The `invalid_server_config` for an error thrown by an addon constructor:
 * the addon's reason for its own checks, else the option's path and expected
 * type, never the value. `prefix` goes before an addon reason, e.g. `` `dpop`: ``.
 */
export function nativeConfigError(error: unknown, prefix = ''): MCPAuthAuthServerError {
  if (isNativeError(error)) return invalidServerConfig(`${prefix}${error.reason}`);
  const message = error instanceof Error ? error.message : '';
  const field = fieldChain.exec(message)?.[1]?.trim().split(' on ')[0]?.replace(/^on /, '');
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : '';
  const expected = expectedTypes[code];
  const type = expected === undefined ? '' : ` (expected ${expected})`;
  if (field === undefined) return invalidServerConfig(`${prefix}An option has a value of the wrong type${type}.`);
  const [struct = '', name = ''] = field.split('.');
  const path = fieldPaths[field] ?? `${structPaths[struct] ?? ''}${name}`;
  return invalidServerConfig(`\`${path}\` has a value of the wrong type${type}.`);
}

/** A secret option must be a string primitive: anything else would be printed by the addon's conversion. */
export function assertSecretString(value: unknown, path: string): void {
  if (value !== undefined && typeof value !== 'string') {
    throw invalidServerConfig(`\`${path}\` must be a string (it is a secret: its value is never shown).`);
  }
}
