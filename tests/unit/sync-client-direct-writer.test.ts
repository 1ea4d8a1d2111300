import { describe, expect, it, vi } from 'vitest'

import { isAppError } from '@/lib/errors'
import { createDirectWriter } from '@/sync/client/direct-writer'
import { SyncTransportError, type SyncTransport } from '@/sync/client/transport'
import type { Avatar } from '@/sync/mutations'
import type { SyncRequest, SyncResponse } from '@/sync/protocol'

const SPACE = 'space-a'
const AVATAR_ID = 'a5c1a6f0-8c7e-4f7c-9f4e-3c2b1a0d9e8f'

const owl: Avatar = {
  id: AVATAR_ID,
  emoji: '🦉',
  name: 'Owl',
  isActive: false,
  position: 'i',
  version: 3,
}

function patch(
  request: SyncRequest,
  overrides: Partial<Extract<SyncResponse, { kind: 'patch' }>> = {},
): SyncResponse {
  return {
    protocol: 2,
    kind: 'patch',
    cursor: `${request.mutations.at(-1)?.id ?? 0}@${SPACE}`,
    lastMutationId: request.mutations.at(-1)?.id ?? 0,
    refused: [],
    upserts: [owl],
    deletes: [],
    ...overrides,
  }
}

function recording(answer: (request: SyncRequest) => Promise<SyncResponse>) {
  const requests: SyncRequest[] = []
  const transport = vi.fn<SyncTransport>(async (request) => {
    requests.push(structuredClone(request))
    return answer(request)
  })
  return { requests, transport }
}

let ids = 0
const newClientId = () => `client-${++ids}`

describe('the direct writer', () => {
  it('sends one mutation per request with consecutive ids and the last cursor', async () => {
    const { requests, transport } = recording(async (r) => patch(r))
    const writer = createDirectWriter({
      transport,
      spaceId: SPACE,
      newClientId,
    })

    const first = await writer.write('renameAvatar', {
      id: AVATAR_ID,
      name: 'Ann',
    })
    await writer.write('setActive', { id: AVATAR_ID, isActive: true })

    expect(requests.map((r) => r.mutations.map((m) => m.id))).toEqual([
      [1],
      [2],
    ])
    expect(requests[0]!.cursor).toBeNull()
    expect(requests[1]!.cursor).toBe(`1@${SPACE}`)
    expect(requests[0]!.clientId).toBe(requests[1]!.clientId)
    expect(first).toEqual({ upserts: [owl], deletes: [], full: true })
  })

  it('runs writes one after another, in the order they were made', async () => {
    const order: number[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { transport } = recording(async (r) => {
      const id = r.mutations[0]!.id
      if (id === 1) await gate
      order.push(id)
      return patch(r)
    })
    const writer = createDirectWriter({
      transport,
      spaceId: SPACE,
      newClientId,
    })

    const a = writer.write('setActive', { id: AVATAR_ID, isActive: true })
    const b = writer.write('setActive', { id: AVATAR_ID, isActive: false })
    expect(writer.pending).toBe(2)
    release()
    await Promise.all([a, b])

    expect(order).toEqual([1, 2])
    expect(writer.pending).toBe(0)
    expect(writer.settled).toBe(2)
  })

  it('starts over as a new client after a request that failed', async () => {
    let fail = true
    const { requests, transport } = recording(async (r) => {
      if (fail) {
        fail = false
        throw new SyncTransportError('sync/network', 'offline', {
          status: 503,
          retryable: true,
        })
      }
      return patch(r)
    })
    const writer = createDirectWriter({
      transport,
      spaceId: SPACE,
      newClientId,
    })

    await expect(
      writer.write('setActive', { id: AVATAR_ID, isActive: true }),
    ).rejects.toMatchObject({ code: 'sync/network' })
    await writer.write('setActive', { id: AVATAR_ID, isActive: true })

    expect(requests[1]!.clientId).not.toBe(requests[0]!.clientId)
    expect(requests[1]!.mutations[0]!.id).toBe(1)
    expect(requests[1]!.cursor).toBeNull()
  })

  it.each([
    ['avatar/deleted', 410],
    ['avatar/not-found', 404],
    ['avatar/id-taken', 409],
    ['mutation/invalid', 400],
    ['something/new', 409],
  ])(
    'rejects a refused mutation with its code %s and status %i, and keeps counting',
    async (code, status) => {
      const { requests, transport } = recording(async (r) =>
        r.mutations[0]!.id === 1
          ? patch(r, {
              refused: [{ id: 1, code, message: 'no', field: 'id' }],
            })
          : patch(r),
      )
      const writer = createDirectWriter({
        transport,
        spaceId: SPACE,
        newClientId,
      })

      const error = await writer
        .write('deleteAvatar', { id: AVATAR_ID })
        .catch((caught: unknown) => caught)
      await writer.write('deleteAvatar', { id: AVATAR_ID })

      expect(isAppError(error) && error.code).toBe(code)
      expect(isAppError(error) && error.status).toBe(status)
      expect(isAppError(error) && error.field).toBe('id')
      expect(requests[1]!.mutations[0]!.id).toBe(2)
      expect(requests[1]!.clientId).toBe(requests[0]!.clientId)
    },
  )

  it('refuses an answer that comes from another space, and starts over', async () => {
    const { requests, transport } = recording(async (r) =>
      patch(r, { cursor: '9@space-b' }),
    )
    const writer = createDirectWriter({
      transport,
      spaceId: SPACE,
      newClientId,
    })

    await expect(
      writer.write('setActive', { id: AVATAR_ID, isActive: true }),
    ).rejects.toMatchObject({ code: 'sync/space-changed', status: 409 })
    await writer
      .write('setActive', { id: AVATAR_ID, isActive: true })
      .catch(() => {})
    expect(requests[1]!.clientId).not.toBe(requests[0]!.clientId)
  })

  it('reports a reset answer as a full roster', async () => {
    const { transport } = recording(async () => ({
      protocol: 2,
      kind: 'reset',
      reason: 'expired-cursor',
      cursor: `4@${SPACE}`,
      lastMutationId: 1,
      refused: [],
      avatars: [owl],
    }))
    const writer = createDirectWriter({
      transport,
      spaceId: SPACE,
      newClientId,
    })
    await expect(
      writer.write('setActive', { id: AVATAR_ID, isActive: true }),
    ).resolves.toEqual({ upserts: [owl], deletes: [], full: true })
  })

  it('resolves idle() once every write has settled', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { transport } = recording(async (r) => {
      await gate
      return patch(r)
    })
    const writer = createDirectWriter({
      transport,
      spaceId: SPACE,
      newClientId,
    })

    const write = writer.write('setActive', { id: AVATAR_ID, isActive: true })
    let idle = false
    const waiting = writer.idle().then(() => (idle = true))
    await Promise.resolve()
    expect(idle).toBe(false)
    release()
    await Promise.all([write, waiting])
    expect(idle).toBe(true)
  })
})
