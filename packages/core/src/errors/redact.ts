/**
 * Query parameters that carry a secret in a connection URL: libpq's `password` and `sslpassword`
 * (PostgreSQL docs §34.1.2, "Parameter Key Words", which a URI may also give as query parameters), and the
 * common token names other services use.
 */
const SECRET_PARAMS = /([?&](?:password|sslpassword|passwd|pwd|secret|token|access_token|api_key|apikey)=)[^&#\s]*/gi;

/** A URL's userinfo (RFC 3986 §3.2.1): `scheme://user:password@host`; the password part is a secret. */
const USERINFO_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]*@/gi;

/**
 * Removes secrets from text about to be shown or logged: the password in a URL's userinfo (RFC 3986 §3.2.1 says
 * "user:password" in userinfo is deprecated precisely because it leaks) and secret-bearing query parameters.
 * Each is replaced by `***`; everything else is kept, so the message still says which database or host failed.
 */
export function redactSecrets(text: string): string {
  return text.replace(USERINFO_PASSWORD, "$1***@").replace(SECRET_PARAMS, "$1***");
}
