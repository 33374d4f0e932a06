// Public entry point: mcp-auth 0.2's root exports, plus ResourceServerConfig,
// the framework-neutral authenticator, the web-standard helper, scope checks
// and the auth event types.

/**
 * The package root, `mcp-auth-rs`: `MCPAuth` (mcp-auth 0.2's API), the Express
 * middleware, the framework-neutral authenticator and the web-standard helper,
 * scope checks, the Redis shared store, and the option and event types.
 * @module mcp-auth-rs
 */
export { MCPAuth, type BearerAuthOptions, type OperationsBearerAuthOptions } from './mcp-auth.js';
export { handleBearerAuth } from './adapters/express.js';
export {
  MCPAuthError,
  MCPAuthConfigError,
  MCPAuthAuthServerError,
  MCPAuthBearerAuthError,
  MCPAuthTokenVerificationError,
  MCPAuthTokenExchangeError,
  authServerErrorDescription,
  tokenExchangeErrorDescription,
  type TokenExchangeErrorCode,
  bearerAuthErrorDescription,
  tokenVerificationErrorDescription,
  type AuthServerErrorCode,
  type BearerAuthErrorCode,
  type MCPAuthBearerAuthErrorDetails,
  type MCPAuthTokenVerificationErrorCode,
} from './errors.js';
export {
  fetchServerConfig,
  fetchServerConfigByWellKnownUrl,
  validateServerConfig,
  getIssuer,
  serverMetadataPaths,
  defaultValues,
  type ServerMetadataConfig,
} from './server-config.js';
export {
  isCorsPreflight,
  type AuthDecision,
  type AuthRequest,
  type Authenticator,
  type OperationDecision,
  type OperationGate,
  type RequestBody,
} from './authenticate.js';
export { exposeWwwAuthenticate, type WebAuthResult, type WebBearerAuth } from './adapters/web.js';
export type { WebOperationPass, WebOperationsAuth, WebOperationsResult } from './adapters/web-operations.js';
export type { OperationHelpers, OperationRequirement, OperationsOptions, SecurityScheme, ToolMeta } from './operation-types.js';
export type { MetadataAnswer, MetadataRequest, ResolvedMetadataResponder } from './metadata-responder.js';
export { requireScopes, hasScopes, assertScopes, type ScopeChallengeResult, type ScopedAuthInfo } from './scopes.js';
export type { TokenVerifier } from './adapters/sdk-v2.js';
export type { AuthEvent, AuthEventListener } from './events.js';
export { redisStore, type RedisCommandClient, type RedisStoreOptions, type RedisUrlStoreOptions } from './redis-store.js';
export type { SharedStore } from './shared-store.js';
export { hashApiKey } from './credential-kinds.js';
export type { DpopMode, DpopOptions, DpopSetting } from './dpop.js';
export type * from './types.js';
