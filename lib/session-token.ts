import { decode } from 'next-auth/jwt'

/**
 * The claims of a signed-in user's session token: the user's id, display
 * name, email and space, nothing else (no provider tokens, no picture).
 * Auth.js adds `iat`, `exp` and `jti` when it encrypts the token.
 */
export type SessionClaims = {
  sub: string
  name: string
  email: string | null
  spaceId: string
}

// A session token this long did not come from us; the real one is well
// under 1 KB even with the longest name.
const MAX_TOKEN_LENGTH = 4096

/** The claims to put in the token for a user who just signed in. */
export function sessionClaims(user: {
  id: string
  name: string
  email: string | null
  spaceId: string
}): SessionClaims {
  return {
    sub: user.id,
    name: user.name,
    email: user.email,
    spaceId: user.spaceId,
  }
}

/** The claims of a decoded token, or null when any is missing or wrong. */
export function readSessionClaims(
  payload: Record<string, unknown> | null,
): SessionClaims | null {
  if (!payload) return null
  const { sub, name, email, spaceId } = payload
  if (typeof sub !== 'string' || sub === '') return null
  if (typeof spaceId !== 'string' || spaceId === '') return null
  if (typeof name !== 'string') return null
  if (email !== null && typeof email !== 'string') return null
  return { sub, name, email, spaceId }
}

/**
 * Decrypts a session cookie with any of `secrets` (Auth.js derives its key
 * from each secret and the cookie's name) and returns its claims, or null
 * for anything that is not a current session token of ours. Never throws.
 */
export async function verifySessionToken(
  secrets: readonly string[],
  cookieName: string,
  token: unknown,
): Promise<SessionClaims | null> {
  if (typeof token !== 'string' || token === '') return null
  if (token.length > MAX_TOKEN_LENGTH) return null
  try {
    const payload = await decode({
      token,
      secret: [...secrets],
      salt: cookieName,
    })
    return readSessionClaims(payload)
  } catch {
    return null
  }
}
