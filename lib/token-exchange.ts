// `exchangeToken`: the caller's access token traded for one aimed at an
// upstream API (RFC 8693, or Entra ID's on-behalf-of grant). The request,
// the answer's checks, the cache and single flight are the addon's, and so
// is the choice of the authorization server; this file hands it the
// MCPAuth configuration's servers, converts a private key, and turns the
// addon's codes into typed errors.

import { MCPAuthTokenExchangeError, invalidServerConfig } from './errors.js';
import { TokenExchanger, isNativeError, type StoreEvent } from './native.js';
import { assertSecretString, nativeConfigError, toPkcs8Pem } from './native-config.js';
import { getIssuer } from './server-config.js';
import type { AuthInfo, AuthServerConfig, ExchangedToken, TokenExchangeConfig, TokenExchangeParams } from './types.js';

export type ExchangeToken = (authInfo: AuthInfo, params?: TokenExchangeParams) => Promise<ExchangedToken>;

/**
 * Checks `config` now (the addon validates every option) and returns the
 * exchange function. Without `issuer` and `tokenEndpoint`, the addon uses
 * the only configured authorization server, with its known `token_endpoint`.
 */
export function createTokenExchange(
  config: TokenExchangeConfig,
  servers: readonly AuthServerConfig[],
  onStoreEvent?: (event: StoreEvent) => void,
): ExchangeToken {
  if (typeof config !== 'object' || config === null) throw invalidServerConfig('`tokenExchange` must be an object.');
  assertSecretString(config.clientSecret, 'tokenExchange.clientSecret');
  const { privateKey, store, storeSecret, storeTimeout, ...rest } = config;
  // Checked (by the addon) only with a store, as introspection's.
  const options: Record<string, unknown> = { ...rest, ...(store === undefined || storeTimeout === undefined ? {} : { storeTimeout }) };
  if (privateKey !== undefined) options['privateKey'] = toPkcs8Pem(privateKey, 'tokenExchange.privateKey');
  let exchanger: InstanceType<typeof TokenExchanger>;
  try {
    // The store's secret, its records' scope and its events are the addon's;
    // the secret's value never appears in an error.
    exchanger = new TokenExchanger(
      options as unknown as ConstructorParameters<typeof TokenExchanger>[0],
      // The addon picks the sole one when no issuer or endpoint is given.
      servers.map((server) => ({
        issuer: getIssuer(server),
        type: server.type,
        tokenEndpoint: 'metadata' in server ? server.metadata.tokenEndpoint : undefined,
      })),
      store,
      store === undefined ? undefined : storeSecret,
      store === undefined ? undefined : onStoreEvent,
    );
  } catch (error) {
    throw nativeConfigError(error);
  }
  return async (authInfo, params = {}) => {
    const token = authInfo?.token;
    if (typeof token !== 'string' || token === '') throw new TypeError('exchangeToken needs the AuthInfo of an accepted request (with its token).');
    try {
      return (await exchanger.exchange(token, params as Parameters<typeof exchanger.exchange>[1])) as ExchangedToken;
    } catch (error) {
      throw toExchangeError(error);
    }
  };
}

function toExchangeError(error: unknown): unknown {
  if (!isNativeError(error)) return error;
  const cause = { code: error.code, reason: error.reason, ...(error.url ? { url: error.url } : {}) };
  switch (error.code) {
    case 'token_exchange_refused':
      return new MCPAuthTokenExchangeError('token_exchange_refused', cause);
    case 'invalid_config':
      return invalidServerConfig(error.reason);
    default:
      // Every other failure (the endpoint unreachable, slow, garbage, a
      // token out of bounds) is an outage of the exchange, never a grant.
      return new MCPAuthTokenExchangeError('token_exchange_unavailable', cause, error.retryAfter ?? 30);
  }
}
