// RFC 9728 protected resource metadata: where it lives and what it says.
// Both come from the core (`decision/metadata.rs`); this file only turns the
// JavaScript `metadata` option into the JSON text the core reads.

import { isPlainObject } from './case.js';
import type { DpopGate } from './dpop.js';
import { isNativeError, protectedResourceMetadata, protectedResourceMetadataUrl as wellKnownUrl } from './native.js';
import { getIssuer } from './server-config.js';
import { invalidConfig } from './setup-checks.js';
import type { ResourceServerConfig } from './types.js';

/** Clients must never be told to ask for refresh tokens here (MCP: no offline_access). */
export const offlineAccessScope = 'offline_access';

/**
 * RFC 9728 §3.1: the well-known segment goes between the host and the
 * resource's path (a root resource gets no suffix); the query is kept.
 */
export function protectedResourceMetadataUrl(resource: URL): URL {
  return new URL(withConfigErrors(() => wellKnownUrl(resource.href)));
}

/**
 * The PRM document's JSON text for one resource (snake_case members,
 * `resource` exactly as configured, tenant issuers, header-only bearer
 * method, no `offline_access`, the DPoP members from the resource's DPoP
 * mode (RFC 9449 §5.2), no empty members), built by the core.
 */
export function buildResourceMetadataDocument(metadata: ResourceServerConfig['metadata'], dpop?: DpopGate, mtls = false): string {
  const servers = metadata.authorizationServers?.map((server) => ({
    issuer: getIssuer(server),
    tenants: 'tenants' in server ? server.tenants : undefined,
  }));
  return withConfigErrors(
    () =>
      protectedResourceMetadata({
        metadata: JSON.stringify({ ...metadata, authorizationServers: servers }, plainDataOnly),
        ...(dpop === undefined ? {} : { dpop: { required: dpop.mode === 'required', algorithms: [...dpop.algorithms] } }),
        ...(mtls ? { mtls } : {}),
      }).document,
  );
}

// Only plain objects and arrays are data to serve: other objects (Errors,
// URLs, class instances) are left out rather than serialised, because their
// enumerable members can carry anything, e.g. a decoded token payload.
function plainDataOnly(this: unknown, key: string, value: unknown): unknown {
  const written = (this as Record<string, unknown>)[key];
  if (typeof written === 'object' && written !== null && !Array.isArray(written) && !isPlainObject(written)) return undefined;
  return value;
}

function withConfigErrors<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw isNativeError(error) ? invalidConfig(error.reason) : error;
  }
}
