/**
 * What the account browser tests share: the session cookie's name, a
 * password the sign-up form accepts, and emails no other test has used.
 */

/** Auth.js's session cookie on https or localhost. */
export const SESSION_COOKIE = '__Secure-authjs.session-token'

export const PASSWORD = 'correct horse battery'

let counter = 0

/** An email unique to this run, e.g. `merge-1764888000000-3@example.com`. */
export function newEmail(prefix: string): string {
  counter += 1
  return `${prefix}-${Date.now()}-${counter}@example.com`
}
