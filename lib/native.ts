// The Rust addon. Its napi-generated loader and typings sit at the package
// root; this file compiles to dist/native.js, hence the `../` path. Typing
// against the generated index.d.ts keeps the wrapper in step with the addon.

import type * as Binding from '../index.js';

// The napi loader's own error ("Cannot find native binding. npm has a bug…")
// names neither the platform nor a way out; say both, keep it as the cause.
// Building that message must never throw itself: on Deno without
// --allow-sys even process.report does.
function loadBinding(): typeof Binding {
  try {
    return require('../index.js') as typeof Binding;
  } catch (error) {
    let message: string;
    try {
      message = nativeLoadFailure(error);
    } catch {
      message = 'mcp-auth-rs: the native binary did not load. The cause below says what failed.';
    }
    throw new Error(message, { cause: error });
  }
}

function nativeLoadFailure(error: unknown): string {
  const manifest = require('../package.json') as { name: string; version: string; optionalDependencies?: Record<string, string> };
  // A runtime permission (Deno: "Requires ffi access …, run again with the --allow-ffi flag") is not a broken install.
  const flag = deniedPermission(error);
  if (flag) {
    return `${manifest.name}: the runtime refused to load the native binary: run with ${flag} (see docs/adapters.md in the repository, "Web-standard (Bun, Deno, Workers-style handlers)", for every flag). The cause below says what was refused.`;
  }
  const { platform, arch } = process;
  const libc = platform === 'linux' ? linuxLibc() : platform === 'win32' ? '-msvc' : '';
  const id = `${platform}-${arch}${libc}`;
  const prefix = `${manifest.name}-`;
  const supported = Object.keys(manifest.optionalDependencies ?? {}).filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const fromSource = `build it from source: in a clone of ${manifest.name} ${manifest.version}, with Rust, run \`npm install && npm run build:native\` and point NAPI_RS_NATIVE_LIBRARY_PATH at the ${manifest.name}.*.node it writes`;
  return supported.includes(id)
    ? `${manifest.name}: the native binary for ${id} did not load. It comes in the optional dependency ${prefix}${id}@${manifest.version}: reinstall without --omit=optional/--no-optional, inside the OS/container you run in (remove node_modules and package-lock.json first if the lockfile was made elsewhere). The cause below says what failed.`
    : `${manifest.name}: no prebuilt binary for ${id}; prebuilt: ${supported.join(', ')}. To run here, ${fromSource}.`;
}

// The flag a permission error anywhere in the cause chain asks for.
function deniedPermission(error: unknown): string | undefined {
  for (let depth = 0; error instanceof Error && depth < 10; depth++, error = error.cause) {
    const flag = /run again with the (--allow-[a-z-]+) flag/.exec(error.message)?.[1];
    if (flag) return flag;
  }
  return undefined;
}

function linuxLibc(): string {
  try {
    return (require('node:fs') as typeof import('node:fs')).readFileSync('/usr/bin/ldd', 'utf8').includes('musl') ? '-musl' : '-gnu';
  } catch {
    // No ldd to read (or no permission): ask the process report.
  }
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
  } catch {
    return '-gnu';
  }
}

const binding = loadBinding();

export type {
  AcceptedProof,
  AuthAccepted,
  AuthAnswer,
  AuthRefusal,
  AuthVerify,
  Authenticator as NativeAuthenticator,
  CallerChecks,
  CredentialRouter as NativeCredentialRouter,
  CallerIdentity,
  DpopChecker as NativeDpopChecker,
  DpopOptions as NativeDpopOptions,
  ServerConfig as NativeServerConfig,
  Introspector as NativeIntrospector,
  IntrospectorOptions as NativeIntrospectorOptions,
  StoreEvent,
  Verifier as NativeVerifier,
  VerifierOptions as NativeVerifierOptions,
  VerifiedProof,
  VerifiedToken,
} from '../index.js';

export const {
  Authenticator,
  checkBearerLimits,
  checkVerifyTimeout,
  checkServerUrl,
  compileScopeHierarchy,
  CredentialRouter,
  DPOP_MAX_PROOF_LENGTH,
  DpopChecker,
  errorCodes,
  fetchServerConfig,
  fetchServerConfigByWellKnownUrl,
  fetchServerMetadata,
  fetchServerMetadataByWellKnownUrl,
  hashApiKey,
  Introspector,
  MetadataResponder,
  NativeApiKeyStore,
  NativeStore,
  normalizeAudience,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  toServerConfig,
  tokenErrorDescriptions,
  TokenExchanger,
  validateServerConfig,
  Verifier,
} = binding;

/** What the addon throws or rejects with: a plain Error carrying a stable code. */
export interface NativeError extends Error {
  code: string;
  /** Whose fault it is: decides 401, 503 or 500 (absent on the wrapper's own coded errors). */
  fault?: 'token' | 'proof' | 'nonce' | 'infrastructure' | 'server' | 'forbidden';
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
