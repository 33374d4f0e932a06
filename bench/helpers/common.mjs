// Shared by the benchmark programs: starting child processes that clean up
// after themselves, and the small statistics every table uses.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

// Every child still running, so an exit (normal, error or Ctrl-C) kills them.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

/**
 * Fork `file` with `args`; resolves once it sends a message satisfying
 * `isReady` (its value is returned as `ready`). `stop()` disconnects it and
 * waits for the exit, killing it after a grace period.
 */
export function startChild(file, args, { execArgv = [], env = {}, isReady = (m) => m?.ready, timeoutMs = 30_000 } = {}) {
  const child = fork(file, args, {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${file} was not ready within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      stop().then(() => reject(error));
    };
    const onMessage = (message) => {
      const ready = isReady(message);
      if (ready === undefined || ready === false) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve({ child, ready, stop, request: (message, match) => request(child, message, match) });
    };
    const onExit = (code, signal) => fail(new Error(`${file} exited before it was ready (code ${code}, signal ${signal})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Send `message` to `child` and resolve with the first reply for which `match(reply)` is true. */
function request(child, message, match) {
  return new Promise((resolve, reject) => {
    const onMessage = (reply) => {
      if (!match(reply)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(reply);
    };
    const onExit = () => {
      child.off('message', onMessage);
      reject(new Error('child exited while a request was pending'));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

/**
 * The benchmark server (helpers/server.mjs) with `config`; `port`, `url`, `gc()` and `stop()`.
 * `nodeOptions`: more flags for its node, e.g. `--cpu-prof` or `--perf-basic-prof` to profile it.
 */
export async function startServer(config, { nodeOptions = [] } = {}) {
  const handle = await startChild(SERVER, [JSON.stringify(config)], {
    execArgv: ['--expose-gc', ...nodeOptions],
    env: { NODE_ENV: 'production' },
  });
  let gcId = 0;
  return {
    ...handle,
    port: handle.ready,
    url: `http://127.0.0.1:${handle.ready}`,
    gc() {
      const id = ++gcId;
      return handle.request({ gc: id }, (reply) => reply?.gcDone === id);
    },
  };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
export const fmt = (n) => Math.round(n).toLocaleString('en-US');
export const fixed = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const today = () => new Date().toISOString().slice(0, 10);

/** `node bench/x.mjs --flag v …` as typed, for the table header. */
export const commandLine = () =>
  ['node', `bench/${process.argv[1].split('/').pop()}`, ...process.argv.slice(2)].join(' ');
