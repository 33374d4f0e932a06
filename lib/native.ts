// The Rust addon. Its napi-generated loader and typings sit at the package
// root; this file compiles to dist/native.js, hence the `../` path. Typing
// against the generated index.d.ts keeps the wrapper in step with the addon.

import * as binding from '../index.js';

export type {
  ServerConfig as NativeServerConfig,
  Verifier as NativeVerifier,
  VerifierOptions as NativeVerifierOptions,
  VerifiedToken,
} from '../index.js';

export const {
  fetchServerConfig,
  fetchServerConfigByWellKnownUrl,
  fetchServerMetadata,
  fetchServerMetadataByWellKnownUrl,
  normalizeAudience,
  toServerConfig,
  validateServerConfig,
  Verifier,
} = binding;

/** What the addon throws or rejects with: a plain Error carrying a stable code. */
export interface NativeError extends Error {
  code: string;
  /** Short fixed phrase, safe for an error_description (no token, claim or URL content). */
  reason: string;
  url?: string;
  /** Seconds after which retrying may succeed (infrastructure errors). */
  retryAfter?: number;
}

/** True for errors raised by the addon (they always carry a string code and reason). */
export function isNativeError(error: unknown): error is NativeError {
  return (
    error instanceof Error &&
    typeof (error as Partial<NativeError>).code === 'string' &&
    typeof (error as Partial<NativeError>).reason === 'string'
  );
}
