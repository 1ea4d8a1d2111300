import { randomUUID } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { readEvents } from '@/sync/client/poke-stream'
import { createPostgresDatabase, postgresUrl } from '../support/databases'
import { type RunningServer, startServer } from './support/server'

const SECRET = 'e2e-poke-secret-'.padEnd(48, 'p')

/** A guest cookie minted by a server's proxy on a first request. */
async function guestCookie(server: RunningServer): Promise<string> {
  const response = await fetch(`${server.url}/api/viewer`)
  const cookie = response.headers.getSetCookie()[0]
  if (!cookie) throw new Error('no guest cookie')
  return cookie.split(';')[0]!
}

/**
 * Opens the event stream: `connected` settles once the server answered (and
 * rejects on a refusal), `poked` resolves on the first poke.
 */
function firstPoke(server: RunningServer, cookie: string) {
  const abort = new AbortController()
  const opened = fetch(`${server.url}/api/sync/events`, {
    headers: { cookie, accept: 'text/event-stream' },
    signal: abort.signal,
  }).then((response) => {
    if (!response.ok)
      throw new Error(`event stream answered ${response.status}`)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    return response
  })
  const connected = opened.then(() => undefined)
  const poked = opened.then(
    (response) =>
      new Promise<string>((resolve, reject) => {
        readEvents(response.body!, (name) => {
          if (name === 'poke') resolve(name)
        }).catch(reject)
      }),
  )
  // Unobserved when a test only checks the connection.
  poked.catch(() => {})
  return { connected, poked, close: () => abort.abort() }
}

async function pushOne(server: RunningServer, cookie: string) {
  const response = await fetch(`${server.url}/api/sync`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({
      protocol: 2,
      schemaVersion: 1,
      clientId: randomUUID(),
      cursor: null,
      mutations: [
        {
          id: 1,
          name: 'createAvatar',
          args: { id: randomUUID(), emoji: '🦉', name: 'Owl' },
        },
      ],
    }),
  })
  expect(response.status).toBe(200)
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no poke within ${ms} ms`)), ms),
    ),
  ])

describe('pokes on the embedded database', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('pokes the space’s open streams after a push, and no one else’s', async () => {
    const cookie = await guestCookie(server)
    const stranger = await guestCookie(server)
    const mine = firstPoke(server, cookie)
    const theirs = firstPoke(server, stranger)
    await Promise.all([mine.connected, theirs.connected])

    await pushOne(server, cookie)

    expect(await within(mine.poked, 5000)).toBe('poke')
    const strangerPoked = await within(theirs.poked, 1000).then(
      () => true,
      () => false,
    )
    expect(strangerPoked).toBe(false)
    mine.close()
    theirs.close()
  })
})

describe('the event stream under misuse', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('answers HEAD with headers only, holding no stream open', async () => {
    const cookie = await guestCookie(server)
    for (let i = 0; i < 25; i++) {
      const response = await fetch(`${server.url}/api/sync/events`, {
        method: 'HEAD',
        headers: { cookie },
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain(
        'text/event-stream',
      )
    }
    // Had any HEAD kept a stream, the space would be over its limit now.
    const stream = firstPoke(server, cookie)
    await expect(stream.connected).resolves.toBeUndefined()
    stream.close()
  })

  it('refuses more than 20 open streams for one space (429), and frees them on close', async () => {
    const cookie = await guestCookie(server)
    const streams = Array.from({ length: 20 }, () => firstPoke(server, cookie))
    await Promise.all(streams.map((stream) => stream.connected))

    const extra = await fetch(`${server.url}/api/sync/events`, {
      headers: { cookie },
    })
    expect(extra.status).toBe(429)
    expect((await extra.json()).error.code).toBe('sync/too-many-streams')

    for (const stream of streams) stream.close()
    // The server notices closed streams asynchronously.
    let status = 429
    for (let attempt = 0; attempt < 50 && status === 429; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const again = firstPoke(server, cookie)
      status = await again.connected.then(
        () => 200,
        () => 429,
      )
      again.close()
    }
    expect(status).toBe(200)
  })

  it('pokes the space after a write through the REST API too', async () => {
    const cookie = await guestCookie(server)
    const listener = firstPoke(server, cookie)
    await listener.connected

    const response = await fetch(`${server.url}/api/avatars`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ id: randomUUID(), emoji: '🦉', name: 'Owl' }),
    })

    expect(response.status).toBe(201)
    expect(await within(listener.poked, 5000)).toBe('poke')
    listener.close()
  })
})

describe.skipIf(!postgresUrl)(
  'pokes across two server processes on Postgres',
  () => {
    let one: RunningServer
    let two: RunningServer
    let drop: () => Promise<void>

    beforeAll(async () => {
      const created = await createPostgresDatabase()
      drop = created.drop
      const env = { DATABASE_URL: created.url, AUTH_SECRET: SECRET }
      ;[one, two] = await Promise.all([startServer(env), startServer(env)])
    })
    afterAll(async () => {
      await Promise.all([one?.stop(), two?.stop()])
      await drop?.()
    })

    it('reaches a client of one process when a push lands on the other', async () => {
      const cookie = await guestCookie(one)
      const listener = firstPoke(two, cookie)
      await listener.connected

      await pushOne(one, cookie)

      expect(await within(listener.poked, 5000)).toBe('poke')
      listener.close()
    })
  },
)
