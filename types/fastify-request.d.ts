// Types `request.auth` in Fastify handlers (set by `mcp-auth-rs/fastify`'s
// bearerAuth). Fastify is an optional peer: an augmentation of a module that
// is not installed is ignored (the @ts-ignore hides only "module not found").
import type { AuthInfo } from './types.js';

// @ts-ignore fastify may not be installed.
declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `bearerAuth` once the access token has been accepted. */
    auth?: AuthInfo;
  }
}
