// scripts/include-examples.mjs's type check of examples/ (`npm run
// test:includes`): which files it takes, and that it refuses what a user's
// tsc would refuse: a misspelled option in JavaScript (checkJs, not strict),
// a possibly-undefined value in TypeScript (strict), against the built package.

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { exampleCode, typecheckExamples } from '../scripts/include-examples.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// Under the repository, so `mcp-auth-rs` resolves by its package name as in examples/.
const fixtures = 'target/include-examples-test';

const good = `import { MCPAuth } from 'mcp-auth-rs';
const resource = process.env.RESOURCE;
export const mcpAuth = new MCPAuth({
  protectedResources: { metadata: { resource, authorizationServers: [{ issuer: 'https://auth.example.com', type: 'oauth' }] } },
});
`;

describe('the type check of examples/', () => {
  before(() => {
    rmSync(`${root}${fixtures}`, { recursive: true, force: true });
    mkdirSync(`${root}${fixtures}/config`, { recursive: true });
    writeFileSync(`${root}${fixtures}/good.mjs`, good);
    writeFileSync(`${root}${fixtures}/misspelled.mjs`, good.replace('protectedResources', 'protectedResource'));
    // `resource` is `string | undefined`: fine in JavaScript, refused by strict TypeScript.
    writeFileSync(`${root}${fixtures}/strict.mts`, good);
  });

  const check = (...names) => typecheckExamples(names.map((name) => `${fixtures}/${name}`), { dir: `${root}${fixtures}/config` });

  it('takes every JavaScript and TypeScript file under examples/, no other', () => {
    const files = exampleCode();
    for (const file of ['examples/quick-start/v2.mjs', 'examples/token-exchange/list-invoices.mjs', 'examples/fleet/server.mts']) {
      assert.ok(files.includes(file), file);
    }
    assert.deepEqual(files.filter((file) => !/^examples\/.+\.(c|m)?(j|t)s$/.test(file)), []);
    assert.ok(!files.some((file) => file.endsWith('.py')));
  });

  it('passes a correct JavaScript file', () => {
    assert.deepEqual(check('good.mjs'), { ok: true, errors: [] });
  });

  it('refuses a misspelled option, naming the file and line', () => {
    const { ok, errors } = check('good.mjs', 'misspelled.mjs');
    assert.equal(ok, false);
    assert.match(errors[0], /^target\/include-examples-test\/misspelled\.mjs\(4,\d+\): error TS2353: .*'protectedResource' does not exist/);
    assert.ok(!errors.some((line) => line.includes('good.mjs')));
  });

  it('checks TypeScript strictly: the same program refused as .mts', () => {
    const { ok, errors } = check('strict.mts');
    assert.equal(ok, false);
    assert.match(errors.join('\n'), /strict\.mts\(4,\d+\): error TS2322: Type 'string \| undefined' is not assignable to type 'string'/);
  });
});
