import type { SyncRequest } from '../protocol'
import {
  isRetryableStatus,
  parseSyncResponse,
  SyncTransportError,
  type SyncTransport,
} from './transport'

export interface HttpTransportOptions {
  /** The sync route; relative in the browser, absolute elsewhere. */
  url?: string
  /** Injected for headless clients and tests; the global fetch otherwise. */
  fetch?: typeof fetch
  /** Gives up on a round after this long (a stalled mobile connection). */
  timeoutMs?: number
  /**
   * Lets the request outlive the page (`fetch`'s keepalive): a write sent
   * just before the tab closes still reaches the server. Browsers cap such
   * bodies at 64 KiB, so only one-mutation pushes should ask for it.
   */
  keepalive?: boolean
}

/**
 * Sends sync rounds to `POST /api/sync`. Identity travels in the site's
 * cookies (`credentials: 'same-origin'`), never in the body.
 */
export function createHttpTransport(
  options: HttpTransportOptions = {},
): SyncTransport {
  const url = options.url ?? '/api/sync'
  const timeoutMs = options.timeoutMs ?? 30_000

  return async (request: SyncRequest) => {
    const fetchImpl = options.fetch ?? globalThis.fetch
    let response: Response
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(timeoutMs),
        ...(options.keepalive ? { keepalive: true } : {}),
      })
    } catch (error) {
      throw new SyncTransportError(
        'sync/network',
        `the sync request did not complete: ${describe(error)}`,
        { status: 503, retryable: true, cause: error },
      )
    }

    if (!response.ok) throw await failure(response)
    return parseSyncResponse(await readJson(response))
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json()
  } catch (error) {
    throw new SyncTransportError(
      'sync/bad-response',
      `the sync answer is not JSON (${response.headers.get('content-type') ?? 'no content type'})`,
      { status: 502, retryable: true, cause: error },
    )
  }
}

/** The server's `{ error: { code, message, field } }`, when it sent one. */
async function failure(response: Response): Promise<SyncTransportError> {
  const status = response.status
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: unknown; message?: unknown; field?: unknown }
  } | null
  const error = body?.error
  const code =
    typeof error?.code === 'string' ? error.code : `sync/http-${status}`
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `the sync route answered ${status}`
  return new SyncTransportError(code, message, {
    status,
    retryable: isRetryableStatus(status),
    field: typeof error?.field === 'string' ? error.field : undefined,
  })
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error)
}
