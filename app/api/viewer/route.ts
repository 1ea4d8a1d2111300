import { AppError, isAppError } from '@/lib/errors'
import { createLogger } from '@/lib/logger'
import { requireViewer } from '@/lib/viewer.server'

const log = createLogger('api')

// Every answer depends on the cookie: no shared cache may keep it.
const headers = { 'Cache-Control': 'private, no-store' }

/**
 * Who the browser is, as far as the server knows: `{ kind, spaceId, label }`,
 * or 401 `viewer/unknown` without a valid guest cookie.
 */
export async function GET(): Promise<Response> {
  try {
    const { kind, spaceId, label } = await requireViewer()
    return Response.json({ kind, spaceId, label }, { headers })
  } catch (error) {
    if (isAppError(error) && error.status < 500) {
      return Response.json(error.toJSON(), { status: error.status, headers })
    }
    // Server-side details (a missing secret, a file error) stay in the log.
    log.error('GET /api/viewer failed', error)
    const failure = new AppError(
      'server/internal',
      'something went wrong on our side',
    )
    return Response.json(failure.toJSON(), { status: 500, headers })
  }
}
