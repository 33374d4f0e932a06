// Starts an HTTP server before its request handler exists, so the caller can
// learn the port (and so its own URL) first and attach the handler afterwards.

import { realpathSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * @param {{ host?: string, port?: number }} [options] port 0 (default) picks a free one.
 * @returns {Promise<{ server: http.Server, host: string, port: number, origin: string,
 *   handle: (handler: http.RequestListener) => void, close: () => Promise<void> }>}
 */
export async function listen({ host = '127.0.0.1', port = 0 } = {}) {
  let handler = (_req, res) => {
    res.writeHead(503, { 'Retry-After': '1' }).end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port; // a TCP server's address
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  let closing;
  return {
    server,
    host,
    port: actualPort,
    origin: `http://${hostInUrl}:${actualPort}`,
    handle(next) {
      handler = next;
    },
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** True when this module is the script node was started with. */
export function isMain(importMetaUrl) {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(importMetaUrl));
  } catch {
    return false;
  }
}
