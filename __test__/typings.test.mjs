// The published typings, from a user's side: a strict server file with
// skipLibCheck off type-checks under moduleResolution node16 and bundler,
// from ESM (.mts) and CommonJS (.cts), in a project that has only SDK v1,
// only SDK v2, or no SDK, and a Hono and a Fastify user file (each with only
// its framework installed, so the other optional peers are missing). Each project is a temp folder with this package
// copied in as npm would install it (package.json, dist/, index.d.ts) and the
// other dependencies linked from this repository's node_modules.
// Each file has @ts-expect-error lines, so types that silently became `any`
// fail the check too.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = fileURLToPath(new URL('./typings/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const projects = {
  v1: { file: 'v1-server', links: ['@modelcontextprotocol/sdk', 'zod'] },
  v2: {
    file: 'v2-server',
    links: ['@modelcontextprotocol/server', '@modelcontextprotocol/core', '@modelcontextprotocol/express', '@modelcontextprotocol/node'],
  },
  none: { file: 'no-sdk', links: [] },
  hono: { file: 'hono-server', links: ['hono'] },
  fastify: { file: 'fastify-server', links: ['fastify'] },
};
const common = ['express', '@types'];

const base = mkdtempSync(join(tmpdir(), 'mcp-auth-rs-typings-'));
after(() => rmSync(base, { recursive: true, force: true }));

function makeProject(name, { file, links }) {
  const dir = join(base, name);
  const modules = join(dir, 'node_modules');
  const own = join(modules, 'mcp-auth-rs');
  mkdirSync(own, { recursive: true });
  for (const entry of ['package.json', 'index.d.ts', 'dist']) cpSync(join(root, entry), join(own, entry), { recursive: true });
  for (const link of [...common, ...links]) {
    mkdirSync(join(modules, link, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', link), join(modules, link));
  }
  const source = readFileSync(join(sources, `${file}.mts`), 'utf8');
  writeFileSync(join(dir, `${file}.mts`), source);
  writeFileSync(join(dir, `${file}.cts`), source);
  return dir;
}

// The v1 SDK's own CommonJS typings fail under node16 with skipLibCheck off
// (TS1541 in dist/cjs/validation/types.d.ts, with no import of ours at all);
// those errors are the SDK's, so they are set aside, and only those.
const sdkOwnError = /node_modules\/@modelcontextprotocol\/sdk\/dist\/cjs\/[^(]+\(\d+,\d+\): error TS1541:/;

async function typeCheck(dir, file, resolution) {
  const options = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'ES2022',
    module: resolution === 'bundler' ? 'preserve' : 'node16',
    moduleResolution: resolution,
    esModuleInterop: true,
    types: ['node'],
  };
  const config = join(dir, `tsconfig.${file}.${resolution}.json`);
  writeFileSync(config, JSON.stringify({ compilerOptions: options, files: [file] }));
  const output = await promisify(execFile)(process.execPath, [tsc, '-p', config], { cwd: dir }).then(
    ({ stdout }) => stdout,
    (error) => error.stdout || String(error),
  );
  return output.split('\n').filter((line) => line.trim() && !sdkOwnError.test(line) && !/^\s/.test(line));
}

// tsc is CPU-bound: run the checks two at a time, all started up front.
const lanes = [Promise.resolve(), Promise.resolve()];
let lane = 0;
function queued(task) {
  const index = lane++ % lanes.length;
  const result = lanes[index].then(task);
  lanes[index] = result.catch(() => {});
  return result;
}

const label = (name) => (name === 'none' ? 'no SDK' : name === 'hono' || name === 'fastify' ? `${name}, no SDK` : `SDK ${name} only`);

describe('typings: a strict user server, skipLibCheck off, without declarations of its own', () => {
  for (const [name, project] of Object.entries(projects)) {
    const dir = makeProject(name, project);
    for (const resolution of ['node16', 'bundler']) {
      for (const kind of ['mts', 'cts']) {
        const errors = queued(() => typeCheck(dir, `${project.file}.${kind}`, resolution));
        it(`${label(name)}, moduleResolution ${resolution}, ${kind === 'mts' ? 'ESM' : 'CommonJS'}`, async () => {
          assert.deepEqual(await errors, []);
        });
      }
    }
  }

  it('the check can fail: a project without the SDK augmentation does not compile', async () => {
    const dir = makeProject('unaugmented', projects.v2);
    for (const entry of ['index.d.ts', 'index.d.mts']) {
      const path = join(dir, 'node_modules/mcp-auth-rs/dist', entry);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/^\/\/\/ <reference path="\.\/sdk-augment\.d\.[cm]ts" \/>\n/gm, ''));
    }
    const errors = await typeCheck(dir, 'v2-server.mts', 'node16');
    assert.ok(errors.some((line) => /TS2339: Property 'subject' does not exist/.test(line)), errors.join('\n'));
  });
});
