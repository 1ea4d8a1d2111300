import { endSession } from '@/app/server/end-session.server'
import { assertSameOrigin, errorResponse, jsonResponse } from '@/lib/http'
import { createLogger } from '@/lib/logger'

const log = createLogger('api')

/**
 * Ends the session and answers with the new guest the cookie now names:
 * `{ kind: 'guest', spaceId, label }`. The sign-out a browser made while
 * offline finishes here once it is back (ADR 013); a guest calling it just
 * becomes a new, empty guest. 403 `request/cross-origin` from another site.
 */
export async function POST(request: Request): Promise<Response> {
  try {
    assertSameOrigin(request)
    return jsonResponse(await endSession())
  } catch (error) {
    return errorResponse(error, log)
  }
}
