// Runs the docs' examples (examples/adapters/, in docs/adapters.md and docs/observability.md) as they are, in a child
// process, until they say they are listening.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** A port that was free a moment ago (the example listens on PORT). */
export async function freePort() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Runs examples/adapters/<name> until it says it is listening; resolves to { resource, stop }. */
export async function startExample(name, env, { port } = {}) {
  port ??= await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../../examples/adapters/${name}`, import.meta.url))], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => ((output += chunk), /listening on/.test(output) && resolve()));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
  });
  return {
    resource: `http://127.0.0.1:${port}/mcp`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill();
      await once(child, 'exit');
    },
  };
}

