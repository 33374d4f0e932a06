// The client certificate a TLS connection presented (RFC 8705 mTLS), for
// the adapters that see Node's socket (Express, Fastify). Web-standard
// requests (web.ts, hono.ts) carry no socket: there only a proxy header works.

import { TLSSocket } from 'node:tls';

/** The leaf certificate's DER, or null for a plain socket or no certificate. */
export function peerCertificate(socket: unknown): Buffer | null {
  if (!(socket instanceof TLSSocket)) return null;
  // Without `detailed`: only the leaf's `raw` is needed, not the chain's objects.
  const certificate = socket.getPeerCertificate();
  const raw = (certificate as { raw?: unknown } | null)?.raw;
  return Buffer.isBuffer(raw) && raw.length > 0 ? raw : null;
}
