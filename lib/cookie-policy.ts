/**
 * The guest cookie's name and attributes. Other modules ask this one instead
 * of spelling cookie names themselves.
 */

/** `__Host-` binds the cookie to this exact host over a secure context. */
export const SECURE_GUEST_COOKIE = '__Host-guest'
/** The fallback for plain-HTTP deployments, where `__Host-` is refused. */
export const PLAIN_GUEST_COOKIE = 'guest'

export type GuestCookiePolicy = {
  name: typeof SECURE_GUEST_COOKIE | typeof PLAIN_GUEST_COOKIE
  secure: boolean
  httpOnly: true
  sameSite: 'lax'
  path: '/'
  /** Seconds; the cookie lives as long as the token it carries. */
  maxAge: number
}

// Browsers treat these hosts as secure contexts even over plain HTTP, so
// they accept Secure (and so `__Host-`) cookies from them.
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Whether the public URL lets browsers keep a Secure cookie. Decided from
 * configuration only: behind a TLS-terminating proxy every request reaching
 * the server looks like plain HTTP, so the request's protocol says nothing.
 */
export function allowsSecureCookie(appUrl: string): boolean {
  const url = new URL(appUrl)
  if (url.protocol === 'https:') return true
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)
}

/** The guest cookie for a deployment reached at `appUrl`. */
export function guestCookiePolicy(
  appUrl: string,
  ttlSeconds: number,
): GuestCookiePolicy {
  const secure = allowsSecureCookie(appUrl)
  return {
    name: secure ? SECURE_GUEST_COOKIE : PLAIN_GUEST_COOKIE,
    secure,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: ttlSeconds,
  }
}

/**
 * The warning to print at boot when the guest cookie must go without
 * `Secure` and `__Host-`, or null when no warning is due.
 */
export function guestCookieWarning(appUrl: string): string | null {
  if (allowsSecureCookie(appUrl)) return null
  const { origin } = new URL(appUrl)
  return (
    `APP_URL ${origin} is plain HTTP and not localhost: the guest cookie ` +
    `is sent without Secure and without the __Host- prefix, so anyone on ` +
    `the network can read or replace it. Serve the app over HTTPS.`
  )
}

/**
 * A `Cookie` request header with `name` set to `value`, replacing any
 * earlier values of that name and keeping every other cookie as it was.
 */
export function withCookie(
  header: string | null,
  name: string,
  value: string,
): string {
  const others = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && cookieName(part) !== name)
  return [...others, `${name}=${value}`].join('; ')
}

function cookieName(pair: string): string {
  const equals = pair.indexOf('=')
  return (equals === -1 ? pair : pair.slice(0, equals)).trim()
}

/** Auth.js's session cookie where `Secure` cookies are allowed. */
export const SECURE_SESSION_COOKIE = '__Secure-authjs.session-token'
/** Auth.js's session cookie on plain-HTTP deployments. */
export const PLAIN_SESSION_COOKIE = 'authjs.session-token'

/**
 * The Auth.js session cookie's name. Like the guest cookie's, decided from
 * the configured public URL (Auth.js is told `useSecureCookies` to match),
 * never from the request's protocol.
 */
export function sessionCookieName(
  appUrl: string,
): typeof SECURE_SESSION_COOKIE | typeof PLAIN_SESSION_COOKIE {
  return allowsSecureCookie(appUrl)
    ? SECURE_SESSION_COOKIE
    : PLAIN_SESSION_COOKIE
}
