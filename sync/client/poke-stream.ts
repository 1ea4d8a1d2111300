import { backoffDelay, type BackoffOptions } from './backoff'

export interface PokeStreamOptions {
  /** The events URL, e.g. `/api/sync/events` (absolute in Node). */
  url: string
  /** Called on every poke; the caller then syncs. */
  onPoke: () => void
  /** Called with true when the stream opens and false when it drops. */
  onStatus?: (connected: boolean) => void
  /** Extra request headers (a headless client's cookie). */
  headers?: Record<string, string>
  backoff?: BackoffOptions
  fetch?: typeof fetch
}

/**
 * Listens to the server's content-free pokes over Server-Sent Events, with
 * fetch (so it runs in Node, workers and browsers alike), reconnecting with
 * backoff when the stream drops. While it is down the caller keeps syncing
 * on its timer; a missed poke only delays a sync.
 */
export function openPokeStream(options: PokeStreamOptions): { close(): void } {
  const run = options.fetch ?? fetch
  const abort = new AbortController()
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const connect = async () => {
    try {
      const response = await run(options.url, {
        headers: { Accept: 'text/event-stream', ...options.headers },
        credentials: 'same-origin',
        signal: abort.signal,
        cache: 'no-store',
      })
      if (!response.ok || !response.body) {
        throw new Error(`event stream answered ${response.status}`)
      }
      failures = 0
      options.onStatus?.(true)
      await readEvents(response.body, (event) => {
        if (event === 'poke') options.onPoke()
      })
    } catch {
      // Dropped, refused or offline: retry below.
    }
    if (abort.signal.aborted) return
    options.onStatus?.(false)
    failures++
    timer = setTimeout(connect, backoffDelay(failures, options.backoff))
  }

  void connect()
  return {
    close() {
      abort.abort()
      clearTimeout(timer)
    },
  }
}

/** Parses an SSE byte stream, calling `onEvent` with each event's name. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (name: string) => void,
): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let name = 'message'
  let hasData = false
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true })
    let newline: number
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(
        newline + (buffer.startsWith('\r\n', newline) ? 2 : 1),
      )
      if (line === '') {
        if (hasData) onEvent(name)
        name = 'message'
        hasData = false
      } else if (line.startsWith('event:')) {
        name = line.slice(6).trim()
      } else if (line.startsWith('data:')) {
        hasData = true
      }
    }
  }
}
