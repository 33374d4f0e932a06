// Adds mcp-auth-rs's fields to the MCP SDK's AuthInfo, so tool handlers can
// read them from `extra.authInfo` (SDK v1) or `ctx.http.authInfo` (SDK v2).
// Both SDKs are optional peers: an augmentation of one that is not installed
// is ignored (the @ts-ignore hides only "module not found"). The same text is
// shipped as .d.mts and .d.cts, because the SDKs ship separate ESM and CJS
// typings and each file augments the one its own module kind resolves to.

/** What bearerAuth adds to an SDK's AuthInfo. */
export interface McpAuthRsAuthInfoFields {
  /** `iss` of the verified token. */
  issuer: string;
  /** `sub` of the verified token. */
  subject?: string;
  /** `aud` of the verified token, as the token carries it. */
  audience?: string | string[];
  /** Every claim of the verified token. */
  claims?: Record<string, unknown>;
  /** Granted scopes plus those they imply under the resource's `scopeHierarchy`. */
  effectiveScopes?: string[];
  /** On a route with several credential kinds (`bearerAuth([...verifiers])`): the `name` of the verifier that accepted the request. */
  verifier?: string;
}

// @ts-ignore SDK v1 (@modelcontextprotocol/sdk) may not be installed.
declare module '@modelcontextprotocol/sdk/server/auth/types.js' {
  interface AuthInfo extends McpAuthRsAuthInfoFields {}
}

// @ts-ignore SDK v2 (@modelcontextprotocol/server) may not be installed.
declare module '@modelcontextprotocol/server' {
  interface AuthInfo extends McpAuthRsAuthInfoFields {}
}
