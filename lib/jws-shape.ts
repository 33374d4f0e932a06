// A compact JWS's header and payload as JSON, read without verifying
// anything. Only for routing a token ('auto') and for refusing one (a bound
// token presented as Bearer), never for accepting it.

/** The decoded header and payload of a three-segment token; a member is `undefined` when that segment is not a JSON object. */
export function unverifiedJws(token: string): { header?: Record<string, unknown>; payload?: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  return { header: decodeSegment(parts[0]!), payload: decodeSegment(parts[1]!) };
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
