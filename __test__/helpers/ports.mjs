// Listening for test servers: a port the kernel hands out is used by one
// server only, per process.
//
// Why: the addon shares one key-set cache per JWKS URL across the whole
// process (src/key_set.rs), and a finished test's verifier lives until
// garbage collection. An ephemeral port is often handed out again within one
// test file; a new auth server on an earlier one's port then had its JWKS URL
// answered from the earlier server's cache: same kid 'k1', other key material,
// so 401 bad_signature where an outage (503) was staged. An explicit port (a
// server restarted "at the same address") is honoured as asked.

import net from 'node:net';

const issued = new Set();

/** Listens on `host:port`; port 0 gets a port no earlier server of this process had. */
export async function listenFresh(server, { port = 0, host = '127.0.0.1' } = {}) {
  if (port !== 0) {
    await listen(server, port, host);
    issued.add(server.address().port);
    return server.address().port;
  }
  const held = []; // ports refused, kept bound so the kernel offers others
  try {
    for (;;) {
      await listen(server, 0, host);
      const got = server.address().port;
      if (!issued.has(got)) {
        issued.add(got);
        return got;
      }
      await new Promise((resolve) => server.close(() => resolve()));
      const holder = net.createServer();
      held.push(holder);
      await listen(holder, got, host).catch(() => {});
    }
  } finally {
    for (const holder of held) holder.close();
  }
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
