import { randomUUID } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { apiAs, findGuestCookie } from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
})

/** A new guest, as a first request to the server makes one. */
async function newGuest(): Promise<string> {
  const response = await fetch(`${server.url}/api/viewer`)
  const cookie = findGuestCookie(response.headers.getSetCookie())
  if (!cookie) throw new Error('the server gave no guest cookie')
  return cookie.value
}

async function roster(token: string) {
  const response = await apiAs(server.url, token, 'GET', '/api/avatars')
  expect(response.status).toBe(200)
  return ((await response.json()) as { avatars: unknown[] }).avatars
}

function evilOrigin() {
  return `http://evil.localhost:${server.port}`
}

describe('requests from another origin', () => {
  it('refuses a POST with a foreign Origin and writes nothing', async () => {
    const token = await newGuest()
    const response = await apiAs(server.url, token, 'POST', '/api/avatars', {
      body: { id: randomUUID(), name: 'Mallory', emoji: '👽' },
      headers: { Origin: evilOrigin() },
    })

    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({
      error: { code: 'request/cross-origin' },
    })
    // Seen through the API only: identity.test.ts opens the database after
    // its server stops and finds no row from refused writes either.
    expect(await roster(token)).toEqual([])
  })

  it('refuses a POST a browser marks as cross-site, even without Origin', async () => {
    const token = await newGuest()
    const response = await apiAs(server.url, token, 'POST', '/api/avatars', {
      body: { id: randomUUID(), name: 'Mallory', emoji: '👽' },
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    })

    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({
      error: { code: 'request/cross-origin' },
    })
    expect(await roster(token)).toEqual([])
  })

  it.each(['PATCH', 'DELETE'])(
    'refuses a %s with a foreign Origin and leaves the avatar as it was',
    async (method) => {
      const token = await newGuest()
      const id = randomUUID()
      const created = await apiAs(server.url, token, 'POST', '/api/avatars', {
        body: { id, name: 'Ada', emoji: '🦊' },
        headers: { Origin: server.url },
      })
      expect(created.status).toBe(201)
      const before = await roster(token)

      const response = await apiAs(
        server.url,
        token,
        method,
        `/api/avatars/${id}`,
        {
          body: method === 'PATCH' ? { name: 'Mallory' } : undefined,
          headers: { Origin: evilOrigin() },
        },
      )

      expect(response.status).toBe(403)
      expect(await response.json()).toMatchObject({
        error: { code: 'request/cross-origin' },
      })
      expect(await roster(token)).toEqual(before)
    },
  )

  it('accepts the same POST from the app’s own origin', async () => {
    const token = await newGuest()
    const id = randomUUID()
    const response = await apiAs(server.url, token, 'POST', '/api/avatars', {
      body: { id, name: 'Ada', emoji: '🦊' },
      headers: { Origin: server.url, 'Sec-Fetch-Site': 'same-origin' },
    })

    expect(response.status).toBe(201)
    expect(await roster(token)).toMatchObject([{ id, name: 'Ada' }])
  })
})

describe('one guest’s ids, asked for by another', () => {
  it('answers 404 to PATCH and DELETE and leaves the owner’s avatar alone', async () => {
    const owner = await newGuest()
    const other = await newGuest()
    const id = randomUUID()
    const created = await apiAs(server.url, owner, 'POST', '/api/avatars', {
      body: { id, name: 'Ada', emoji: '🦊' },
    })
    expect(created.status).toBe(201)
    const before = await roster(owner)

    const patch = await apiAs(
      server.url,
      other,
      'PATCH',
      `/api/avatars/${id}`,
      {
        body: { name: 'Mallory', isActive: true },
      },
    )
    expect(patch.status).toBe(404)
    expect(await patch.json()).toMatchObject({
      error: { code: 'avatar/not-found' },
    })

    const remove = await apiAs(
      server.url,
      other,
      'DELETE',
      `/api/avatars/${id}`,
    )
    expect(remove.status).toBe(404)
    expect(await remove.json()).toMatchObject({
      error: { code: 'avatar/not-found' },
    })

    expect(await roster(other)).toEqual([])
    expect(await roster(owner)).toEqual(before)
  })
})
