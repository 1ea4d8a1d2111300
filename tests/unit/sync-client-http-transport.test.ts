import { describe, expect, it, vi } from 'vitest'

import { createHttpTransport } from '@/sync/client/http-transport'
import { isRetryable, SyncTransportError } from '@/sync/client/transport'
import type { SyncRequest, SyncResponse } from '@/sync/protocol'

const request: SyncRequest = {
  protocol: 2,
  schemaVersion: 1,
  clientId: '7b0c3f7e-2a4e-4d8e-9a51-1f7d7b6c2a10',
  cursor: '4@space-a',
  mutations: [
    {
      id: 1,
      name: 'renameAvatar',
      args: { id: 'a5c1a6f0-8c7e-4f7c-9f4e-3c2b1a0d9e8f', name: 'Ann' },
    },
  ],
}

const answer: SyncResponse = {
  protocol: 2,
  kind: 'patch',
  cursor: '5@space-a',
  lastMutationId: 1,
  refused: [],
  upserts: [
    {
      id: 'a5c1a6f0-8c7e-4f7c-9f4e-3c2b1a0d9e8f',
      emoji: '🦊',
      name: 'Ann',
      isActive: false,
      position: 'i',
      version: 5,
    },
  ],
  deletes: [],
}

function answering(response: Response | Error) {
  return vi.fn<typeof fetch>(async () => {
    if (response instanceof Error) throw response
    return response
  })
}

async function failure(
  response: Response | Error,
): Promise<SyncTransportError> {
  const transport = createHttpTransport({ fetch: answering(response) })
  const error = await transport(request).then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(SyncTransportError)
  return error as SyncTransportError
}

describe('the HTTP sync transport', () => {
  it('posts the request as JSON with the site cookies and returns the answer', async () => {
    const fetch = answering(Response.json(answer))
    const transport = createHttpTransport({ fetch })

    expect(await transport(request)).toEqual(answer)

    expect(fetch).toHaveBeenCalledOnce()
    const [url, init] = fetch.mock.calls[0]!
    expect(url).toBe('/api/sync')
    expect(init).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
    })
    expect(JSON.parse(init!.body as string)).toEqual(request)
  })

  it('goes to the URL it is given', async () => {
    const fetch = answering(Response.json(answer))
    await createHttpTransport({ url: 'http://localhost:3999/api/sync', fetch })(
      request,
    )
    expect(fetch.mock.calls[0]![0]).toBe('http://localhost:3999/api/sync')
  })

  it.each([
    [400, 'sync/invalid-request', 'cursor', false],
    [409, 'sync/mutation-gap', 'mutations', false],
    [409, 'sync/client-space-mismatch', 'clientId', false],
    [413, 'sync/too-many-mutations', 'mutations', false],
    [429, 'request/rate-limited', undefined, true],
    [503, 'server/unavailable', undefined, true],
  ])(
    'turns a %i %s answer into an error with its code',
    async (status, code, field, retryable) => {
      const body = {
        error: { code, message: 'no', ...(field ? { field } : {}) },
      }
      const error = await failure(Response.json(body, { status }))
      expect([error.status, error.code, error.field, error.retryable]).toEqual([
        status,
        code,
        field,
        retryable,
      ])
      expect(isRetryable(error)).toBe(retryable)
    },
  )

  it('names an error answer that carries no code by its status', async () => {
    const error = await failure(new Response('Bad gateway', { status: 502 }))
    expect([error.code, error.status, error.retryable]).toEqual([
      'sync/http-502',
      502,
      true,
    ])
  })

  it('retries when the request never completes', async () => {
    const error = await failure(new TypeError('fetch failed'))
    expect([error.code, error.retryable]).toEqual(['sync/network', true])
    expect(error.message).toContain('fetch failed')
  })

  it.each([
    ['HTML from a captive portal', new Response('<html>Sign in</html>')],
    ['JSON of another shape', Response.json({ ok: true })],
    ['a patch without its rows', Response.json({ ...answer, upserts: null })],
  ])('refuses %s as a bad answer, to be retried', async (_, response) => {
    const error = await failure(response)
    expect([error.code, error.retryable]).toEqual(['sync/bad-response', true])
  })
})
