// Types `req.auth` in Express handlers. SDK v2's Express adapter and SDK v1's
// bearer middleware declare the same property with their own AuthInfo, and
// TypeScript requires every declaration of it to have the same type, so this
// one uses the installed SDK's AuthInfo (v2 first, then v1), and ours only
// when neither is installed. An import of an SDK that is not installed is `any`.
import type { AuthInfo as OwnAuthInfo } from './types.js';
// @ts-ignore SDK v2 may not be installed.
import type { AuthInfo as V2AuthInfo } from '@modelcontextprotocol/server';
// @ts-ignore SDK v1 may not be installed.
import type { AuthInfo as V1AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

// `unknown extends T` holds only for an unresolved (any) import: an AuthInfo has required members.
type Missing<T> = unknown extends T ? true : false;
type RequestAuthInfo = Missing<V2AuthInfo> extends false ? V2AuthInfo : Missing<V1AuthInfo> extends false ? V1AuthInfo : OwnAuthInfo;

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `bearerAuth` once the access token has been accepted. */
    auth?: RequestAuthInfo;
  }
}
