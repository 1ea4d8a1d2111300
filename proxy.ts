import { NextResponse, type NextRequest } from 'next/server'

import { guestCookiePolicy, withCookie } from '@/lib/cookie-policy'
import { getEnv } from '@/lib/env'
import {
  mintGuestToken,
  needsRenewal,
  verifyGuestToken,
} from '@/lib/guest-token'
import { createLogger } from '@/lib/logger'
import { getSecrets } from '@/lib/secrets.server'

const log = createLogger('guest')

/**
 * Gives every visitor a guest cookie: a new guest when the cookie is missing
 * or invalid, a renewed token for the same guest past half its life. The
 * fresh cookie is also written into this request's `Cookie` header, so the
 * page rendered for it already sees the guest. Touches no database, and
 * never fails the request: on any error it lets the request through as is.
 */
export async function proxy(request: NextRequest): Promise<NextResponse> {
  try {
    return await issueGuestCookie(request)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    log.warn(`could not issue a guest cookie: ${reason}`)
    return NextResponse.next()
  }
}

async function issueGuestCookie(request: NextRequest): Promise<NextResponse> {
  const env = getEnv()
  const ttlSeconds = env.GUEST_TOKEN_TTL_SECONDS
  const policy = guestCookiePolicy(env.APP_URL, ttlSeconds)
  const secrets = await getSecrets()
  const now = Math.floor(Date.now() / 1000)

  const current = request.cookies.get(policy.name)?.value
  const claims = current
    ? await verifyGuestToken(secrets, current, { now })
    : null
  if (claims && !needsRenewal(claims, now, ttlSeconds)) {
    return NextResponse.next()
  }
  if (current && !claims) log.debug('replacing an invalid guest cookie')

  const { token } = await mintGuestToken(secrets, {
    guestId: claims?.guestId,
    now,
    ttlSeconds,
  })
  const headers = new Headers(request.headers)
  headers.set('cookie', withCookie(headers.get('cookie'), policy.name, token))
  const response = NextResponse.next({ request: { headers } })
  response.cookies.set({ ...policy, value: token })
  return response
}

export const config = {
  matcher: [
    // Route handlers always get a guest, whatever their path looks like.
    '/api/:path*',
    // Pages: everything except build output, the service worker, the
    // manifest, icons, any other file with an extension, and the two pages
    // the service worker precaches for every viewer (/offline, /shell): no
    // guest cookie is ever minted on a response that gets shared.
    '/((?!_next/static|_next/image|favicon\\.ico|sw\\.js|manifest\\.webmanifest|icons/|offline$|shell$|.*\\.\\w+$).*)',
  ],
}
