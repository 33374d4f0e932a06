// Issue 21 item 4: `redisStore(url)` returns the addon's own Redis client
// (crates/mcp-auth-core/src/fleet/redis_store.rs), checked by the core.
// Creating it does no I/O; its commands, outages and key format are tested
// in Rust against a real redis-server (`cargo test -p mcp-auth-core redis_store`).
// Until the fleet wiring accepts the handle, these tests cover the factory.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { MCPAuthAuthServerError, redisStore } from 'mcp-auth-rs';

const native = createRequire(import.meta.url)('../index.js');
const generic = 'The server configuration does not match the MCP specification.';
const PASSWORD = 'hunter22-secret';
// A port nothing listens on: creating the store must not try it.
const URL = `redis://:${PASSWORD}@127.0.0.1:1/0`;

/** Refused at setup with invalid_server_config, `expected` in the message, never the password. */
const refused = (expected) => (error) => {
  assert.ok(error instanceof MCPAuthAuthServerError, `expected MCPAuthAuthServerError, got ${error}`);
  assert.equal(error.code, 'invalid_server_config');
  assert.ok(error.message.startsWith(generic), error.message);
  assert.ok(error.message.includes(expected), error.message);
  for (const text of [error.message, String(error.cause?.cause), error.stack]) {
    assert.ok(!text.includes(PASSWORD), `the password leaked: ${text}`);
  }
  return true;
};

describe('redisStore(url): the addon speaks Redis itself', () => {
  it('returns the native handle at once, without connecting', () => {
    for (const store of [
      redisStore(URL),
      redisStore(URL, { prefix: 'app:', responseTimeout: 100 }),
      redisStore({ url: URL, prefix: 'app:', connectTimeout: 500, reconnectMaxDelay: 1000, maxInFlight: 10 }),
      redisStore({ url: 'rediss://cache.internal:6380/2' }),
    ]) {
      assert.ok(store instanceof native.NativeStore);
      // Nothing tried yet: ready, so that the first command starts the connection.
      assert.equal(store.isReady(), true);
    }
  });

  it('refuses options by name and range, never echoing the URL', () => {
    assert.throws(() => redisStore({ url: `http://:${PASSWORD}@example.com` }), refused('`redisStore.url` must be a redis://, rediss:// or redis+unix:// URL'));
    assert.throws(() => redisStore(`rediss://:${PASSWORD}@example.com#insecure`), refused('`redisStore.url` must not have a fragment'));
    assert.throws(() => redisStore(`not a url ${PASSWORD}`), refused('`redisStore.url`'));
    assert.throws(() => redisStore({ url: 12 }), refused('`redisStore.url` has a value of the wrong type (expected a string)'));
    assert.throws(() => redisStore(URL, { responseTimeout: 0 }), refused('`redisStore.responseTimeout` must be an integer number of milliseconds from 1 to 60000'));
    assert.throws(() => redisStore(URL, { connectTimeout: Infinity }), refused('`redisStore.connectTimeout` must be an integer number of milliseconds from 1 to 60000'));
    assert.throws(() => redisStore(URL, { reconnectMaxDelay: 50 }), refused('`redisStore.reconnectMaxDelay` must be an integer number of milliseconds from 100 to 300000'));
    assert.throws(() => redisStore(URL, { maxInFlight: 1.5 }), refused('`redisStore.maxInFlight` must be an integer number of commands from 1 to 100000'));
    assert.throws(() => redisStore(URL, { maxInFlight: () => 1 }), refused('`redisStore.maxInFlight` has a value of the wrong type'));
    assert.throws(() => redisStore(URL, { prefix: 'p'.repeat(1025) }), refused('`redisStore.prefix` must be at most 1024 bytes'));
    assert.throws(() => redisStore(URL, { prefix: [PASSWORD] }), refused('`redisStore.prefix` has a value of the wrong type'));
  });

  it('is a closed options object, like every other', () => {
    assert.throws(() => redisStore({ url: URL, responseTimout: 100 }), refused('redisStore: unknown option `responseTimout`; did you mean `responseTimeout`?'));
    assert.throws(() => redisStore(URL, { prefx: 'a:' }), refused('did you mean `prefix`?'));
    // The URL goes first or in `url`, not both.
    assert.throws(() => redisStore(URL, { url: URL }), refused('redisStore: unknown option `url`.'));
  });

  it('the addon itself: invalid_config, the option named', () => {
    assert.throws(
      () => native.NativeStore.redis({ url: URL, socket: {} }),
      (error) => error.code === 'invalid_config' && error.reason === 'unknown option `redisStore.socket`.',
    );
    assert.throws(
      () => native.NativeStore.redis({}),
      (error) => error.code === 'invalid_config' && error.reason === '`redisStore.url` is required.',
    );
    assert.ok(native.NativeStore.redis({ url: 'redis+unix:///run/redis.sock?db=1' }) instanceof native.NativeStore);
  });

  it('the node-redis form is unchanged', () => {
    const store = redisStore({ sendCommand: async () => 'OK' }, { prefix: 'x:' });
    assert.ok(!(store instanceof native.NativeStore));
    assert.deepEqual(Object.keys(store).sort(), ['delete', 'get', 'isReady', 'set', 'setIfAbsent']);
    assert.throws(() => redisStore({}), TypeError);
    assert.throws(() => redisStore(null), TypeError);
  });
});
