// Issue 20 item 10: a secret option of the wrong type is refused at setup by
// name, and nothing of its value reaches the error: not its message, its
// causes, String(error) nor util.inspect(error). More generally, a value the
// addon cannot convert is named by its option path, never printed.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';

import { MCPAuth, MCPAuthAuthServerError } from 'mcp-auth-rs';
import { resolvedAuthServer } from './helpers/metadata.mjs';

const RESOURCE = 'https://mcp.example.com/mcp';
const SECRET = 'p4-s3cr3t-marker-7f3a9c-0123456789abcdef';
const SECRET_NUMBER = 918273645;
const as = resolvedAuthServer();
const config = (entry = {}) => ({ protectedResources: [{ metadata: { resource: RESOURCE, authorizationServers: [as] }, ...entry }] });

// Every form the secret's bytes could take in a printed value.
const bytes = [...Buffer.from(SECRET)];
const forms = [
  SECRET,
  String(SECRET_NUMBER),
  bytes.join(','),
  Buffer.from(SECRET).toString('hex'),
  Buffer.from(SECRET).toString('base64'),
  SECRET.slice(0, 16),
];

/** Everything a log line could show of `error`, nested causes included. */
function printed(error) {
  const parts = [String(error), error.message, error.stack, util.inspect(error, { depth: Infinity }), JSON.stringify(error.cause)];
  for (let cause = error.cause; cause !== undefined && cause !== null; cause = cause.cause) {
    parts.push(typeof cause === 'object' ? util.inspect(cause, { depth: Infinity }) : String(cause));
    if (typeof cause !== 'object') break;
  }
  return parts.join('\n');
}

const refusedWithout = (option) => (error) => {
  assert.ok(error instanceof MCPAuthAuthServerError, `expected MCPAuthAuthServerError, got ${error?.name}`);
  assert.equal(error.code, 'invalid_server_config');
  assert.ok(error.message.includes(`\`${option}\``), `the message names ${option}: ${error.message}`);
  const text = printed(error);
  for (const form of forms) assert.ok(!text.includes(form), `the error shows the secret (${form.slice(0, 6)}…)`);
  return true;
};

const wrongTypes = {
  'a Buffer': Buffer.from(SECRET),
  'a number': SECRET_NUMBER,
  'a String object': new String(SECRET),
  'an object with toString': { toString: () => SECRET },
  'a Uint8Array': new Uint8Array(Buffer.from(SECRET)),
};

describe('secret options of the wrong type are named, never shown', () => {
  for (const [what, value] of Object.entries(wrongTypes)) {
    it(`introspection.clientSecret: ${what}`, () => {
      const auth = new MCPAuth(config());
      assert.throws(
        () => auth.bearerAuth('introspection', { resource: RESOURCE, introspection: { clientId: 'rs', clientSecret: value } }),
        refusedWithout('introspection.clientSecret'),
      );
    });

    it(`dpop.nonce.secret: ${what}`, () => {
      assert.throws(() => new MCPAuth(config({ dpop: { nonce: { secret: value } } })), refusedWithout('dpop.nonce.secret'));
    });
  }
});

describe('a value the addon cannot convert is named by its option, not printed', () => {
  const cases = {
    'introspection.clientId': (auth) => auth.bearerAuth('introspection', { resource: RESOURCE, introspection: { clientId: Buffer.from(SECRET), clientSecret: 's' } }),
    'introspection.keyId': (auth) =>
      auth.bearerAuth('introspection', { resource: RESOURCE, introspection: { clientId: 'rs', clientSecret: 's', keyId: new String(SECRET) } }),
    'cache.tokenCacheSize': (auth) => auth.bearerAuth('jwt', { resource: RESOURCE, cache: { tokenCacheSize: SECRET } }),
    'jwtVerify.typ': (auth) => auth.bearerAuth('jwt', { resource: RESOURCE, jwtVerify: { typ: Buffer.from(SECRET) } }),
    'claims.requiredClaimValues': (auth) => auth.bearerAuth('jwt', { resource: RESOURCE, claims: { requiredClaimValues: { tenant: Buffer.from(SECRET) } } }),
  };
  for (const [option, build] of Object.entries(cases)) {
    it(option, () => {
      assert.throws(() => build(new MCPAuth(config())), refusedWithout(option));
    });
  }

  it('dpop.algorithms', () => {
    assert.throws(() => new MCPAuth(config({ dpop: { algorithms: new String(SECRET) } })), refusedWithout('dpop.algorithms'));
  });
});
