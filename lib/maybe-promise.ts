// Values that are synchronous when they can be (a cached or inline-checked
// token) and a promise otherwise. The one place that forks on which it is:
// every layer maps such a value with `thenMaybe` instead of testing it itself.

export type MaybePromise<T> = T | Promise<T>;

export function isPromiseLike<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}

/**
 * `onValue(value)` now for a plain value, or once the promise settles; `onError`
 * (if given) handles the promise's rejection. A synchronous value never waits
 * for a microtask, which keeps cache hits off the promise machinery.
 */
export function thenMaybe<T, R>(value: MaybePromise<T>, onValue: (value: T) => R, onError?: (error: unknown) => R): MaybePromise<R> {
  if (!isPromiseLike(value)) return onValue(value);
  return Promise.resolve(value).then(onValue, onError);
}
