// Builds `WWW-Authenticate` challenges: `Bearer …` (RFC 6750 §3, RFC 9728
// §5.1) and `DPoP algs="…" …` (RFC 9449 §7.1). Every value is a
// quoted-string with `"` and `\` escaped; each parameter appears at most once
// because the input is a fixed-shape object.

export interface ChallengeParams {
  /** Default `Bearer`. */
  scheme?: 'Bearer' | 'DPoP';
  /** DPoP only: the space-separated proof algorithms accepted. */
  algs?: string;
  /** RFC 6750 error code; omitted for a bare challenge (no credentials presented). */
  error?: string;
  errorDescription?: string;
  /** The protected resource metadata URL. */
  resourceMetadata?: string;
  /** Space-separated scopes the request needs. */
  scope?: string;
}

// RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
const descriptionOutsideCharset = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;
// Anything a quoted-string may not carry at all (controls, DEL, non-Latin-1).
const outsideQdtextOrPair = /[^\t\x20-\x7e\x80-\xff]/g;

/** Drops every character RFC 6750 does not allow in error_description. */
export function sanitizeDescription(text: string): string {
  return text.replace(descriptionOutsideCharset, '');
}

function quote(value: string): string {
  return `"${value.replace(outsideQdtextOrPair, '').replace(/["\\]/g, '\\$&')}"`;
}

export function buildChallenge({ scheme = 'Bearer', algs, error, errorDescription, resourceMetadata, scope }: ChallengeParams): string {
  const params: string[] = [];
  if (algs) params.push(`algs=${quote(algs)}`);
  if (error) params.push(`error=${quote(error)}`);
  if (errorDescription) params.push(`error_description=${quote(sanitizeDescription(errorDescription))}`);
  if (resourceMetadata) params.push(`resource_metadata=${quote(resourceMetadata)}`);
  if (scope) params.push(`scope=${quote(scope)}`);
  return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`;
}
