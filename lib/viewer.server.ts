import 'server-only'

import { cookies } from 'next/headers'

import { guestCookiePolicy, sessionCookieName } from './cookie-policy'
import { getEnv } from './env'
import { AppError } from './errors'
import { verifyGuestToken } from './guest-token'
import { getSecrets } from './secrets.server'
import { verifySessionToken } from './session-token'

/** A visitor without an account, known by the signed guest cookie. */
export type GuestViewer = {
  kind: 'guest'
  /** The guest's id: guests own the space named after them. */
  spaceId: string
  /** A short display name, e.g. `Guest 3f2a`. */
  label: string
}

/** A person signed in to an account (an Auth.js session). */
export type UserViewer = {
  kind: 'user'
  userId: string
  /** The user's own space, created with the account. */
  spaceId: string
  /** The user's name. */
  label: string
  email: string | null
}

/** Who is asking: a discriminated union on `kind`. */
export type Viewer = GuestViewer | UserViewer

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
 * The user a session cookie value stands for, or null when the value is
 * missing, tampered with, expired or signed with a secret no longer in the
 * list. Pure: no request context needed.
 */
export async function viewerFromSessionCookie(
  secrets: readonly string[],
  cookieName: string,
  cookieValue: string | undefined,
): Promise<UserViewer | null> {
  const claims = await verifySessionToken(secrets, cookieName, cookieValue)
  if (!claims) return null
  return {
    kind: 'user',
    userId: claims.sub,
    spaceId: claims.spaceId,
    label: claims.name || claims.email || 'Signed-in user',
    email: claims.email,
  }
}

/**
 * The viewer of the current request (page, route handler or server
 * action), or null: the signed-in user when the session cookie is valid,
 * otherwise the guest of the guest cookie. The proxy forwards a freshly
 * minted guest cookie on the same request, so even a first visit normally
 * has one.
 */
export async function getViewer(): Promise<Viewer | null> {
  const env = getEnv()
  const jar = await cookies()
  const secrets = await getSecrets()

  const sessionName = sessionCookieName(env.APP_URL)
  const user = await viewerFromSessionCookie(
    secrets,
    sessionName,
    jar.get(sessionName)?.value,
  )
  if (user) return user

  const { name } = guestCookiePolicy(env.APP_URL, env.GUEST_TOKEN_TTL_SECONDS)
  return viewerFromGuestCookie(secrets, jar.get(name)?.value)
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
