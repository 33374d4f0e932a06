// Optional observability hook. Events identify a token by a short SHA-256
// prefix, never by the token itself or its `jti`, so they are safe to log.

import { createHash } from 'node:crypto';
import type { MaybePromise } from './maybe-promise.js';
import { thenMaybe } from './maybe-promise.js';

export type AuthEvent =
  | {
      type: 'accepted';
      resource?: string;
      issuer: string;
      subject?: string;
      clientId?: string;
      /** `sha256:` + the first 16 hex digits of the token's SHA-256: never the token, never a claim such as `jti`. */
      tokenId: string;
    }
  | {
      type: 'rejected';
      resource?: string;
      status: number;
      /** RFC 6750 error code sent to the client, absent for a bare 401 challenge. */
      error?: string;
      /** Why, as a stable code: an addon code such as `expired`, or one of the header checks. */
      reason: string;
    }
  | {
      type: 'jwks_refreshed';
      /** The issuer whose key set this is, when it can be told from the JWKS URL. */
      issuer?: string;
      jwksUri: string;
      keyCount?: number;
      /** Keys skipped as unusable, and similar findings. */
      warnings?: string[];
    }
  | {
      type: 'jwks_unavailable';
      issuer?: string;
      jwksUri: string;
      /** What went wrong, one of a fixed set (`timeout`, `http_status`, `content_type`, … `other`): safe as a metric label. */
      code: JwksOutageCode;
      /** The same in words; it may echo what the server sent (a status, a Content-Type), so keep it out of metric labels. */
      reason?: string;
    }
  /** A fleet store (`introspection.store`, `dpop.store`) failed or timed out, once per outage: introspection carries on without it, DPoP requests get 503. */
  | { type: 'store_unavailable'; operation: string; reason: string }
  | { type: 'store_recovered' }
  /**
   * A record read from the fleet store (introspection, token exchange) failed
   * its check and was treated as a miss: `bad_mac` (not signed with this
   * fleet's `storeSecret` for this key), `unreadable` (not a signed record at
   * all), `undecryptable` (a token-exchange record not encrypted by this
   * fleet for this key).
   */
  | { type: 'store_record_rejected'; reason: 'bad_mac' | 'unreadable' | 'undecryptable' }
  | {
      /** How long verifying one token took (signature, claims, and any key fetch it waited for). */
      type: 'verification';
      resource?: string;
      durationMs: number;
      /**
       * Whether the verifier accepted the token (scopes are checked after). For a
       * custom verify function: that it returned an identity; its issuer, audience
       * and expiry are checked after it, by the core, with the scopes.
       */
      valid: boolean;
    };

/** Why a key set could not be fetched, as the addon names it. @inline */
export type JwksOutageCode =
  | 'timeout'
  | 'connection_failed'
  | 'redirect_refused'
  | 'http_status'
  | 'not_found'
  | 'content_type'
  | 'too_large'
  | 'invalid_json'
  | 'invalid_key_set'
  | 'no_usable_keys'
  | 'other';

export type AuthEventListener = (event: AuthEvent) => void;

/** Fans events out to listeners; a throwing listener never breaks authentication. */
export class AuthEventEmitter {
  private readonly listeners: AuthEventListener[] = [];

  add(listener: AuthEventListener | undefined): void {
    if (listener && !this.listeners.includes(listener)) this.listeners.push(listener);
  }

  get active(): boolean {
    return this.listeners.length > 0;
  }

  emit(event: AuthEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Observability must not change the outcome of a request.
      }
    }
  }
}

/**
 * A token's id for events: always derived from the token itself, never from a
 * `jti` an authorization server chose (for a reference token that is often
 * the token itself).
 */
export function tokenId(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/** `verify`, reporting each call's duration as a `verification` event while anyone listens. */
export function timeVerification<T>(
  verify: (token: string) => MaybePromise<T>,
  events: AuthEventEmitter,
  resource: string | undefined,
): (token: string) => MaybePromise<T> {
  if (!events.active) return verify;
  const report = (start: number, valid: boolean): void =>
    events.emit({ type: 'verification', resource, durationMs: performance.now() - start, valid });
  return (token) => {
    const start = performance.now();
    let result: MaybePromise<T>;
    try {
      result = verify(token);
    } catch (error) {
      report(start, false);
      throw error;
    }
    return thenMaybe(
      result,
      (value) => (report(start, true), value),
      (error: unknown) => {
        report(start, false);
        throw error;
      },
    );
  };
}
