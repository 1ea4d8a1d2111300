import { getPokeBus } from '@/app/server/pokes.server'
import { AppError } from '@/lib/errors'
import { errorResponse } from '@/lib/http'
import { createLogger } from '@/lib/logger'
import { requireViewer } from '@/lib/viewer.server'

const log = createLogger('poke')

const KEEPALIVE_MS = 25_000
/** Asks EventSource to wait this long before reconnecting. */
const RETRY_MS = 3_000

const encoder = new TextEncoder()

/** Open streams per space in this process; more are refused (429). */
const MAX_STREAMS_PER_SPACE = 20
/** Events queued for a reader that does not read before it is dropped. */
const MAX_UNREAD_EVENTS = 100
const open = new Map<string, number>()

const streamHeaders = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'private, no-store, no-transform',
  'X-Accel-Buffering': 'no',
}

/**
 * Next answers HEAD through GET unless told otherwise, and a HEAD response
 * never reads or cancels its body: a stream opened for it would never be
 * closed. HEAD gets the headers alone.
 */
export function HEAD() {
  return new Response(null, { headers: streamHeaders })
}

/**
 * Server-Sent Events for the viewer's space: a content-free `poke` each time
 * its version moves, so connected clients sync. Comments keep proxies from
 * closing an idle stream.
 */
export async function GET(request: Request) {
  try {
    const viewer = await requireViewer()
    if (request.method !== 'GET') return HEAD()
    const count = open.get(viewer.spaceId) ?? 0
    if (count >= MAX_STREAMS_PER_SPACE) {
      throw new AppError(
        'sync/too-many-streams',
        `a space may hold at most ${MAX_STREAMS_PER_SPACE} open event streams`,
        { status: 429 },
      )
    }
    const bus = await getPokeBus()
    open.set(viewer.spaceId, count + 1)
    let cleanup = () => {}

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          // Nobody reading: stop queueing pokes for a stalled reader.
          if ((controller.desiredSize ?? 0) < -MAX_UNREAD_EVENTS) {
            cleanup()
            controller.error(new Error('event stream reader stalled'))
            return
          }
          try {
            controller.enqueue(encoder.encode(text))
          } catch {
            cleanup()
          }
        }
        send(`retry: ${RETRY_MS}\n: connected\n\n`)
        const unsubscribe = bus.subscribe(viewer.spaceId, () =>
          send('event: poke\ndata: {}\n\n'),
        )
        const keepalive = setInterval(
          () => send(': keepalive\n\n'),
          KEEPALIVE_MS,
        )
        cleanup = () => {
          clearInterval(keepalive)
          unsubscribe()
          const left = (open.get(viewer.spaceId) ?? 1) - 1
          if (left > 0) open.set(viewer.spaceId, left)
          else open.delete(viewer.spaceId)
          cleanup = () => {}
        }
        request.signal.addEventListener('abort', () => {
          cleanup()
          try {
            controller.close()
          } catch {
            // already closed
          }
        })
      },
      cancel() {
        cleanup()
      },
    })

    return new Response(stream, { headers: streamHeaders })
  } catch (error) {
    return errorResponse(error, log)
  }
}
