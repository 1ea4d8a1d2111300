import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from 'node:http'

import type { Page } from 'playwright-core'

import { freePort } from './server'

/** Waits until a service worker controls the page; returns the ms it took. */
export async function waitForWorker(page: Page): Promise<number> {
  const started = Date.now()
  await page.waitForFunction(
    () => navigator.serviceWorker.controller?.state === 'activated',
    null,
    { timeout: 30_000 },
  )
  return Date.now() - started
}

export interface CachedEntry {
  url: string
  contentType: string
  bytes: number
  /** The body, for text responses only. */
  text: string | null
}

/** Every entry of every Cache Storage cache of the page's origin. */
export function cacheContents(
  page: Page,
): Promise<Record<string, CachedEntry[]>> {
  return page.evaluate(async () => {
    const result: Record<string, CachedEntry[]> = {}
    for (const name of await caches.keys()) {
      const cache = await caches.open(name)
      const entries: CachedEntry[] = []
      for (const request of await cache.keys()) {
        const response = await cache.match(request)
        if (!response) continue
        const contentType = response.headers.get('content-type') ?? ''
        const body = await response.arrayBuffer()
        const isText = /text|json|javascript|css/.test(contentType)
        entries.push({
          url: request.url,
          contentType,
          bytes: body.byteLength,
          text: isText ? new TextDecoder().decode(body) : null,
        })
      }
      result[name] = entries
    }
    return result
  })
}

/**
 * A pass-through HTTP proxy in front of the app on a loopback port, which
 * can serve a rewritten service worker: a stand-in for a new deploy without
 * a second build.
 */
export interface WorkerSwapProxy {
  url: string
  port: number
  /** From now on, serve the worker script through `rewrite`. */
  swapWorker(rewrite: (script: string) => string): void
  /** Answer 503 to requests under this path (null: pass them on again). */
  refuse(pathPrefix: string | null): void
  close(): Promise<void>
}

const WORKER_PATH = '/serwist/sw.js'

export async function startWorkerSwapProxy(
  target: () => string,
): Promise<WorkerSwapProxy> {
  const port = await freePort()
  let rewrite: ((script: string) => string) | null = null
  let refused: string | null = null

  const server: Server = createServer((incoming, outgoing) => {
    const requested = new URL(incoming.url ?? '/', 'http://x').pathname
    if (refused !== null && requested.startsWith(refused)) {
      incoming.resume()
      outgoing.writeHead(503, { 'content-type': 'text/plain' })
      outgoing.end('refused by the test proxy')
      return
    }
    const upstream = new URL(incoming.url ?? '/', target())
    // Plain bodies, so the worker script can be rewritten.
    const headers = { ...incoming.headers }
    delete headers['accept-encoding']
    const forwarded = httpRequest(
      upstream,
      { method: incoming.method, headers },
      (answer: IncomingMessage) => {
        const path = new URL(incoming.url ?? '/', 'http://x').pathname
        if (rewrite && path === WORKER_PATH && answer.statusCode === 200) {
          const change = rewrite
          const chunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => chunks.push(chunk))
          answer.on('end', () => {
            const body = change(Buffer.concat(chunks).toString('utf8'))
            const headers = { ...answer.headers }
            delete headers['content-length']
            delete headers.etag
            outgoing.writeHead(200, headers)
            outgoing.end(body)
          })
          return
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      },
    )
    forwarded.on('error', () => {
      outgoing.destroy()
    })
    incoming.pipe(forwarded)
  })
  await new Promise<void>((resolve) =>
    server.listen(port, '127.0.0.1', resolve),
  )

  return {
    url: `http://localhost:${port}`,
    port,
    swapWorker(next) {
      rewrite = next
    },
    refuse(pathPrefix) {
      refused = pathPrefix
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
