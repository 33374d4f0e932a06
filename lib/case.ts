// camelCase → snake_case for JSON we serve (PRM, AS metadata, error details):
// the config side uses camelCase, the wire uses snake_case.

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Deep over plain objects and arrays. Other objects (Errors, URLs, class
 * instances) are dropped rather than serialised, because their enumerable
 * members can carry anything, e.g. a decoded token payload.
 */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (typeof value !== 'object' || value === null) return value;
  if (!isPlainObject(value)) return undefined;
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [snakeCase(key), snakeCaseKeys(member)]));
}

/** `record` without its `undefined` members (option objects handed to the addon, which takes absent, not undefined). */
export function definedMembers<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
