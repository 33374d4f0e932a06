// Starts one process of a test fleet: a helper script that prints
// `{"port":…}` once listening and serves its auth events at GET /events.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** `script` is relative to this folder; `nodeArgs` go before it (e.g. `--expose-gc`); resolves to `{ base, events(), stop() }`. */
export async function startFleetProcess(script, args, { nodeArgs = [] } = {}) {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs, path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const base = `http://127.0.0.1:${JSON.parse(line).port}`;
  return {
    base,
    events: async () => (await fetch(`${base}/events`)).json(),
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
