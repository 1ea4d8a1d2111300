import { getPokeBus } from '@/app/server/pokes.server'
import { errorResponse } from '@/lib/http'
import { createLogger } from '@/lib/logger'
import { requireViewer } from '@/lib/viewer.server'

const log = createLogger('poke')

const KEEPALIVE_MS = 25_000
/** Asks EventSource to wait this long before reconnecting. */
const RETRY_MS = 3_000

const encoder = new TextEncoder()

/**
 * Server-Sent Events for the viewer's space: a content-free `poke` each time
 * its version moves, so connected clients sync. Comments keep proxies from
 * closing an idle stream.
 */
export async function GET(request: Request) {
  try {
    const viewer = await requireViewer()
    const bus = await getPokeBus()
    let cleanup = () => {}

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
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

    return new Response(stream, {
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'private, no-store, no-transform',
        'X-Accel-Buffering': 'no',
      },
    })
  } catch (error) {
    return errorResponse(error, log)
  }
}
