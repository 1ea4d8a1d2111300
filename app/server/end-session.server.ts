import { cookies } from 'next/headers'

import { signOut } from '@/auth'
import { guestCookiePolicy } from '@/lib/cookie-policy'
import { getEnv } from '@/lib/env'
import { mintGuestToken } from '@/lib/guest-token'
import { getSecrets } from '@/lib/secrets.server'
import { guestLabel } from '@/lib/viewer.server'

/** Who the browser is after signing out: a guest no one has been before. */
export type SignedOut = { kind: 'guest'; spaceId: string; label: string }

/**
 * Ends the session and replaces the guest cookie with a new guest's, so
 * the person who signs out never returns to the guest they were before
 * signing in (nor does the next person on this device). For a server
 * action or a route handler: both may set cookies. See ADR 013.
 */
export async function endSession(): Promise<SignedOut> {
  await signOut({ redirect: false })
  const env = getEnv()
  const ttlSeconds = env.GUEST_TOKEN_TTL_SECONDS
  const { token, claims } = await mintGuestToken(await getSecrets(), {
    ttlSeconds,
  })
  const policy = guestCookiePolicy(env.APP_URL, ttlSeconds)
  ;(await cookies()).set({ ...policy, value: token })
  return {
    kind: 'guest',
    spaceId: claims.guestId,
    label: guestLabel(claims.guestId),
  }
}
