import { NextRequest } from 'next/server'

import { handlers } from '@/auth'
import { getEnv } from '@/lib/env'

/**
 * Auth.js's endpoints, seen at the configured APP_URL: the request's own
 * host (a proxy's internal name, or 127.0.0.1 which Next rewrites to
 * localhost) never decides where Auth.js redirects or which cookies it
 * sets.
 */
function atAppUrl(request: NextRequest): NextRequest {
  const { pathname, search } = request.nextUrl
  const url = new URL(`${pathname}${search}`, getEnv().APP_URL)
  return new NextRequest(url, request)
}

export function GET(request: NextRequest): Promise<Response> {
  return handlers.GET(atAppUrl(request))
}

export function POST(request: NextRequest): Promise<Response> {
  return handlers.POST(atAppUrl(request))
}
