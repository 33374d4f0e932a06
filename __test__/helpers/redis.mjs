// A real redis-server for tests, on 127.0.0.1 and a free port, in memory
// only. `.ci/run` installs Debian's redis-server when it is missing; a
// machine without it fails here with a message that says so.

import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port, deadline) {
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

/**
 * Starts redis-server; `stop()` kills it (a test may stop it to simulate an
 * outage), `pause()`/`resume()` freeze and thaw it (a hang: connections stay
 * open, nothing answers), `url` is for createClient.
 */
export async function startRedis({ port } = {}) {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: apt-get install redis-server (.ci/run does this)');
  }
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await waitForPort(chosen, Date.now() + 10_000);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
