// One process of a two-process fleet (__test__/shared-store.test.mjs): asks
// the shared store for `key`, computing it (one POST to the counting server,
// which answers after a delay) only if no other process of the fleet does.
// Prints the outcome as one JSON line.

import { createClient } from 'redis';
import { fleetSingleFlight, guardStore } from '../../dist/shared-store.js';
import { redisStore } from '../../dist/redis-store.js';

const [redisUrl, key, counterUrl] = process.argv.slice(2);
const client = createClient({ url: redisUrl });
await client.connect();
const store = guardStore(redisStore(client, { prefix: 'fleet-test:' }), { timeoutMs: 2000 });
const result = await fleetSingleFlight(
  store,
  key,
  async () => {
    const response = await fetch(counterUrl, { method: 'POST' });
    return { value: await response.text(), ttlMs: 60_000 };
  },
  { lockTtlMs: 5000, pollMs: 20 },
);
console.log(JSON.stringify(result));
await client.quit();
