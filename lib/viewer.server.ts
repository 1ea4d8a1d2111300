import 'server-only'

import { cookies } from 'next/headers'

import { guestCookiePolicy } from './cookie-policy'
import { getEnv } from './env'
import { AppError } from './errors'
import { verifyGuestToken } from './guest-token'
import { getSecrets } from './secrets.server'

/** A visitor without an account, known by the signed guest cookie. */
export type GuestViewer = {
  kind: 'guest'
  /** The guest's id: guests own the space named after them. */
  spaceId: string
  /** A short display name, e.g. `Guest 3f2a`. */
  label: string
}

/**
 * Who is asking. A discriminated union on `kind`: signed-in users join it
 * as their own variant.
 */
export type Viewer = GuestViewer

/** The display name of a guest: a prefix of its id, stable across renewals. */
export function guestLabel(guestId: string): string {
  return `Guest ${guestId.slice(0, 4)}`
}

/**
 * The viewer a guest cookie value stands for, or null when the value is
 * missing or not a valid guest token. Pure: no request context needed.
 */
export async function viewerFromGuestCookie(
  secrets: readonly string[],
  cookieValue: string | undefined,
  options: { now?: number } = {},
): Promise<Viewer | null> {
  if (!cookieValue) return null
  const claims = await verifyGuestToken(secrets, cookieValue, options)
  if (!claims) return null
  return {
    kind: 'guest',
    spaceId: claims.guestId,
    label: guestLabel(claims.guestId),
  }
}

/**
 * The viewer of the current request (page, route handler or server
 * action), or null. The proxy forwards a freshly minted cookie on the same
 * request, so even a first visit normally has one.
 */
export async function getViewer(): Promise<Viewer | null> {
  const env = getEnv()
  const { name } = guestCookiePolicy(env.APP_URL, env.GUEST_TOKEN_TTL_SECONDS)
  const value = (await cookies()).get(name)?.value
  return viewerFromGuestCookie(await getSecrets(), value)
}

/** Like `getViewer`, but a request without a viewer is a 401. */
export async function requireViewer(): Promise<Viewer> {
  const viewer = await getViewer()
  if (viewer) return viewer
  throw new AppError(
    'viewer/unknown',
    'this request carries no valid guest cookie or session; reload the page ' +
      'to get a new guest',
    { status: 401 },
  )
}
