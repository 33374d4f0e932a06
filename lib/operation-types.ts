// The `operations` option of bearerAuth (per-tool authorization) and what
// its helpers return. Only types: the core validates the option and decides
// every request (crates/mcp-auth-core, `operations/`); docs/per-tool-authorization.md.

/**
 * What one MCP operation needs:
 * - `'public'`: no token needed. A request that carries one is still verified
 *   (an invalid token is 401 as usual) and, when valid, sets `req.auth`; no
 *   scope is checked, not even the route's `requiredScopes`.
 * - `'protected'` (same as `[]`): a valid token with the route's `requiredScopes`.
 * - a list of scopes: a valid token with the route's `requiredScopes` and these
 *   (the resource's `scopeHierarchy` applies). Each scope follows the grammar of
 *   `requiredScopes`; `offline_access` is refused.
 */
export type OperationRequirement = 'public' | 'protected' | string[];

/**
 * Which MCP operations of a `bearerAuth` route are public and what each
 * protected one needs (MCP Apps "per-tool authorization"). With it the
 * middleware reads the JSON-RPC request body (bounded by `maxBodyBytes`, or
 * reusing a body an earlier parser read) and judges every message of it;
 * without it nothing changes. Checked by the addon at setup: unknown keys,
 * empty names and invalid scopes are refused with `invalid_server_config`.
 */
export type OperationsOptions = {
  /** `tools/call`, by `params.name`. Tools not listed get `default`. */
  tools?: Record<string, OperationRequirement>;
  /** `prompts/get` (and `completion/complete` for a `ref/prompt`), by `params.name`. */
  prompts?: Record<string, OperationRequirement>;
  /**
   * `resources/read`, `resources/subscribe`, `resources/unsubscribe` (and
   * `completion/complete` for a `ref/resource`), by `params.uri`: an exact
   * URI, or a key ending in `*` that matches every URI starting with the rest
   * (an exact key first, then the longest prefix). `*` only as the last character.
   */
  resources?: Record<string, OperationRequirement>;
  /** Any JSON-RPC method by name (e.g. `'completion/complete'`): overrides every other rule for that method. */
  methods?: Record<string, OperationRequirement>;
  /**
   * The discovery and session methods: `initialize`, `notifications/*`,
   * `ping`, `server/discover`, `tools/list`, `resources/list`,
   * `resources/templates/list`, `prompts/list`, `subscriptions/listen`,
   * `logging/setLevel`. Requests without a body (GET, DELETE) follow
   * `initialize`. Default `'public'`, so a client connects and lists
   * anonymously and OAuth starts only at a protected call.
   */
  discovery?: OperationRequirement;
  /** Everything not listed (unlisted tools, prompts, resources; `tasks/*`; unknown methods). Default `'protected'`. */
  default?: OperationRequirement;
  /**
   * How a single `tools/call` that needs a token (or more scopes) is refused:
   * `'http'` (default) the usual 401/403 with `WWW-Authenticate`;
   * `'tool-result'` a 200 JSON-RPC result with `isError: true` and the same
   * challenges in `_meta["mcp/www_authenticate"]` (draft SEP-1489, OpenAI's
   * clients). Batches, other methods and body refusals stay HTTP.
   */
  signal?: 'http' | 'tool-result';
  /**
   * Largest request body read, in bytes: an integer from 1024 to 67108864,
   * default 4194304 (4 MiB, the MCP SDKs' limit). A larger body (by
   * `Content-Length` or as read) gets 413. A body an earlier parser already
   * read is reused as is (its parser's limit applied).
   */
  maxBodyBytes?: number;
};

/** One entry of a tool's `securitySchemes` (OpenAI Apps SDK). */
export type SecurityScheme = { type: 'noauth' } | { type: 'oauth2'; scopes: string[] };

/** `{ securitySchemes }` for a tool descriptor's `_meta` (`registerTool(name, { _meta: auth.toolMeta(name) })`). */
export type ToolMeta = { securitySchemes: SecurityScheme[] };

/** The helpers on what `bearerAuth` returns: the tool declarations of its `operations`, for tool descriptors. */
export interface OperationHelpers {
  /**
   * `[{ type: 'noauth' }]` for a public tool, else `[{ type: 'oauth2', scopes }]`
   * with the route's `requiredScopes` and the tool's; an undeclared tool gets `default`'s.
   * @throws {MCPAuthAuthServerError} `invalid_server_config` when the route has no `operations`.
   */
  securitySchemes(tool: string): SecurityScheme[];
  /** `{ securitySchemes: securitySchemes(tool) }`, to spread into a tool's `_meta`. */
  toolMeta(tool: string): ToolMeta;
}
