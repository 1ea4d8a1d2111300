import { AppError, isAppError } from './errors'
import type { Logger } from './logger'

/** Default cap on a JSON request body, in bytes. */
export const DEFAULT_BODY_LIMIT = 16 * 1024

const noStore = { 'Cache-Control': 'private, no-store' }

export function jsonResponse(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: noStore })
}

/**
 * Turns a thrown value into a response: an AppError keeps its code and
 * status; anything else is logged and answered with a generic 500.
 */
export function errorResponse(error: unknown, log: Logger): Response {
  if (isAppError(error) && error.status < 500) {
    return jsonResponse(error.toJSON(), error.status)
  }
  log.error('request failed', error)
  const failure = isAppError(error)
    ? error
    : new AppError('server/internal', 'something went wrong on our side')
  return jsonResponse(failure.toJSON(), failure.status)
}

/**
 * Refuses state-changing requests sent from another site. Browsers send
 * `Origin` (and `Sec-Fetch-Site`) on such requests; clients that send
 * neither (scripts, headless sync clients) are not browsers acting for a
 * visitor, so the cookie they carry was given to them on purpose.
 */
export function assertSameOrigin(request: Request): void {
  const site = request.headers.get('sec-fetch-site')
  if (site && site !== 'same-origin' && site !== 'none') {
    throw crossOrigin()
  }
  const origin = request.headers.get('origin')
  if (origin === null) return
  const host =
    request.headers.get('x-forwarded-host') ?? request.headers.get('host')
  let originHost: string
  try {
    originHost = new URL(origin).host
  } catch {
    throw crossOrigin()
  }
  if (!host || originHost !== host) throw crossOrigin()
}

function crossOrigin() {
  return new AppError(
    'request/cross-origin',
    'state-changing requests must come from this site',
    { status: 403 },
  )
}

/**
 * Reads a JSON body of at most `limit` bytes. Refuses other media types
 * (415), larger bodies (413, without reading past the limit) and malformed
 * JSON (400).
 */
export async function readJsonBody(
  request: Request,
  limit = DEFAULT_BODY_LIMIT,
): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AppError(
      'request/unsupported-media-type',
      `expected Content-Type application/json, received ${type || 'none'}`,
      { status: 415 },
    )
  }
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)

  const text = await readLimited(request, limit)
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError('request/malformed-json', 'the body is not valid JSON', {
      status: 400,
    })
  }
}

function tooLarge(limit: number) {
  return new AppError(
    'request/too-large',
    `the body must be at most ${limit} bytes`,
    { status: 413 },
  )
}

async function readLimited(request: Request, limit: number): Promise<string> {
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new AppError(
      'request/malformed-json',
      'the body is not valid UTF-8',
      {
        status: 400,
      },
    )
  }
}
