import { describe, expect, it } from 'vitest'

import { AppError } from '@/lib/errors'
import { assertSameOrigin, readJsonBody } from '@/lib/http'

function post(body: BodyInit | null, headers: Record<string, string>) {
  return new Request('http://localhost:3000/api/x', {
    method: 'POST',
    body,
    headers,
    // A streamed body needs half-duplex in Node's fetch.
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
}

async function codeOf(promise: Promise<unknown>) {
  const error = await promise.catch((caught: unknown) => caught)
  return error instanceof AppError ? [error.code, error.status] : error
}

describe('reading a JSON body', () => {
  it('parses a JSON object', async () => {
    const request = post('{"a":1}', {
      'content-type': 'application/json; charset=utf-8',
    })
    expect(await readJsonBody(request)).toEqual({ a: 1 })
  })

  it('refuses a declared length over the limit without reading the body', async () => {
    const request = post('{}', {
      'content-type': 'application/json',
      'content-length': '999999',
    })
    expect(await codeOf(readJsonBody(request, 100))).toEqual([
      'request/too-large',
      413,
    ])
  })

  it('stops reading a stream once it passes the limit', async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(64).fill(32))
      },
    })
    const request = post(endless, { 'content-type': 'application/json' })
    expect(await codeOf(readJsonBody(request, 1000))).toEqual([
      'request/too-large',
      413,
    ])
    expect(pulled).toBeLessThan(40)
  })
})

describe('same-origin check', () => {
  const request = (headers: Record<string, string>) =>
    new Request('http://localhost:3000/api/x', {
      method: 'POST',
      headers: { host: 'localhost:3000', ...headers },
    })

  it.each([
    ['no browser headers (a script)', {}],
    ['the same origin', { origin: 'http://localhost:3000' }],
    ['sec-fetch-site same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['sec-fetch-site none (typed URL)', { 'sec-fetch-site': 'none' }],
  ])('lets through %s', (_, headers) => {
    expect(() => assertSameOrigin(request(headers))).not.toThrow()
  })

  it.each([
    ['another origin', { origin: 'http://evil.localhost:3000' }],
    ['another port', { origin: 'http://localhost:4000' }],
    ['an opaque origin', { origin: 'null' }],
    ['a same-site subdomain', { 'sec-fetch-site': 'same-site' }],
    ['a cross-site request', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses %s with request/cross-origin (403)', (_, headers) => {
    let caught: unknown
    try {
      assertSameOrigin(request(headers))
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'request/cross-origin', status: 403 })
  })
})
