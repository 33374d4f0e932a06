// Setup errors from the addon's constructors and setup checks. Options reach
// the addon as JSON and the core alone judges them: its `invalid_config`
// reasons name the option and its range, never a value. What it cannot judge
// is checked here: a secret's type, a private key's form.

import { createPrivateKey, KeyObject } from 'node:crypto';
import { invalidServerConfig, type MCPAuthAuthServerError } from './errors.js';
import { isNativeError } from './native.js';

/**
 * The `invalid_server_config` for an error thrown by an addon constructor or
 * check: the core's reason, else a fixed text (whatever else was thrown is
 * never echoed). `prefix` goes before the reason, e.g. `` `dpop`: ``.
 */
export function nativeConfigError(error: unknown, prefix = ''): MCPAuthAuthServerError {
  if (isNativeError(error)) return invalidServerConfig(`${prefix}${error.reason}`);
  return invalidServerConfig(`${prefix}An option has a value of the wrong type.`);
}

/** A secret option must be a string primitive: anything else would be printed by the addon's conversion. */
export function assertSecretString(value: unknown, path: string): void {
  if (value !== undefined && typeof value !== 'string') {
    throw invalidServerConfig(`\`${path}\` must be a string (it is a secret: its value is never shown).`);
  }
}

/**
 * A client-authentication key (`introspection.privateKey`,
 * `tokenExchange.privateKey`) as the PKCS#8 PEM the addon signs with; a JWK
 * or KeyObject is converted here. `option` names it in the error.
 */
export function toPkcs8Pem(key: unknown, option: string): string {
  try {
    const object =
      key instanceof KeyObject
        ? key
        : typeof key === 'string'
          ? createPrivateKey(key)
          : createPrivateKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (object.type !== 'private') throw new Error('not a private key');
    return object.export({ type: 'pkcs8', format: 'pem' }) as string;
  } catch {
    // The key's text never goes into the message.
    throw invalidServerConfig(`\`${option}\` must be a private key: PKCS#8/PKCS#1/SEC1 PEM, a private JWK, or a KeyObject.`);
  }
}
