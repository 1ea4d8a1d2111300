import { randomUUID } from 'node:crypto'

import { expect, it, vi } from 'vitest'

import {
  createAvatar,
  deleteAvatar,
  listRoster,
  updateAvatar,
} from '@/app/api/avatars/avatar-api.server'
import type { Database } from '@/db/connect.server'
import { avatars, spaces } from '@/db/schema'
import { errorResponse } from '@/lib/http'
import { createLogger } from '@/lib/logger'
import { describeEachEngine } from '../support/databases'

const HOST = 'localhost:3000'
const log = createLogger('test')

interface Call {
  method?: string
  body?: string | Uint8Array<ArrayBuffer>
  headers?: Record<string, string>
}

function request({ method = 'POST', body, headers = {} }: Call): Request {
  return new Request(`http://${HOST}/api/avatars`, {
    method,
    body,
    headers: {
      host: HOST,
      'content-type': 'application/json',
      ...headers,
    },
  })
}

const json = (value: unknown) => JSON.stringify(value)

/** Runs a handler the way the route does: errors become responses. */
async function run(handler: () => Promise<Response>) {
  const response = await handler().catch((error) => errorResponse(error, log))
  return { status: response.status, body: await response.json() }
}

async function everything(db: Database) {
  return {
    spaces: await db.select().from(spaces).orderBy(spaces.id),
    avatars: await db.select().from(avatars).orderBy(avatars.id),
  }
}

describeEachEngine('avatar API', (context) => {
  const db = () => context().database.db

  async function seed(spaceId: string, name = 'Ann') {
    const id = randomUUID()
    const result = await run(() =>
      createAvatar(
        request({ body: json({ id, name, emoji: '🦊' }) }),
        db(),
        spaceId,
      ),
    )
    expect(result.status).toBe(201)
    return id
  }

  it('creates, lists, updates and deletes an avatar', async () => {
    const space = `api-${randomUUID()}`
    const id = randomUUID()

    const created = await run(() =>
      createAvatar(
        request({ body: json({ id, name: ' Ann ', emoji: '🦊' }) }),
        db(),
        space,
      ),
    )
    expect(created).toMatchObject({
      status: 201,
      body: { avatar: { id, name: 'Ann', emoji: '🦊', isActive: false } },
    })

    const updated = await run(() =>
      updateAvatar(
        request({
          method: 'PATCH',
          body: json({ name: 'Anna', isActive: true, emoji: '🐼' }),
        }),
        db(),
        space,
        id,
      ),
    )
    expect(updated).toMatchObject({
      status: 200,
      body: { avatar: { name: 'Anna', isActive: true, emoji: '🐼' } },
    })

    const listed = await run(() => listRoster(db(), space))
    expect(listed.body.avatars).toHaveLength(1)

    const deleted = await run(() =>
      deleteAvatar(request({ method: 'DELETE' }), db(), space, id),
    )
    expect(deleted).toEqual({ status: 200, body: { deleted: id } })
    expect((await run(() => listRoster(db(), space))).body).toEqual({
      avatars: [],
    })
  })

  it('applies a multi-field update in one transaction or not at all', async () => {
    const space = `api-${randomUUID()}`
    const id = await seed(space)
    const before = await everything(db())

    const result = await run(() =>
      updateAvatar(
        request({ method: 'PATCH', body: json({ name: 'Fine', emoji: 'no' }) }),
        db(),
        space,
        id,
      ),
    )

    expect(result.body.error).toMatchObject({
      code: 'mutation/invalid',
      field: 'emoji',
    })
    expect(await everything(db())).toEqual(before)
  })

  const id = '0f8e2a57-3c1b-4d6e-9f0a-7b2c4d6e8f10'
  const huge = json({ id, name: 'x'.repeat(20_000), emoji: '🦊' })

  it.each([
    [
      'a text/plain body',
      { body: json({ id }), headers: { 'content-type': 'text/plain' } },
      415,
      'request/unsupported-media-type',
      undefined,
    ],
    [
      'no content type',
      { body: json({ id }), headers: { 'content-type': '' } },
      415,
      'request/unsupported-media-type',
      undefined,
    ],
    [
      'malformed JSON',
      { body: '{"id": ' },
      400,
      'request/malformed-json',
      undefined,
    ],
    [
      'invalid UTF-8',
      { body: new Uint8Array([0x7b, 0xff, 0x7d]) },
      400,
      'request/malformed-json',
      undefined,
    ],
    ['a body over 16 KiB', { body: huge }, 413, 'request/too-large', undefined],
    ['an array body', { body: '[]' }, 400, 'mutation/invalid', undefined],
    ['a null body', { body: 'null' }, 400, 'mutation/invalid', undefined],
    [
      'an unknown field',
      { body: json({ id, name: 'A', emoji: '🦊', owner: 'x' }) },
      400,
      'mutation/invalid',
      'owner',
    ],
    [
      'an empty name',
      { body: json({ id, name: '', emoji: '🦊' }) },
      400,
      'mutation/invalid',
      'name',
    ],
    [
      'a 41-character name',
      { body: json({ id, name: 'n'.repeat(41), emoji: '🦊' }) },
      400,
      'mutation/invalid',
      'name',
    ],
    [
      'a name with control characters',
      { body: json({ id, name: 'a\u001bb', emoji: '🦊' }) },
      400,
      'mutation/invalid',
      'name',
    ],
    [
      'two emoji',
      { body: json({ id, name: 'A', emoji: '🦊🦊' }) },
      400,
      'mutation/invalid',
      'emoji',
    ],
    [
      'text as emoji',
      { body: json({ id, name: 'A', emoji: ':)' }) },
      400,
      'mutation/invalid',
      'emoji',
    ],
    [
      'a missing emoji',
      { body: json({ id, name: 'A' }) },
      400,
      'mutation/invalid',
      'emoji',
    ],
    [
      'a bad id',
      { body: json({ id: '1', name: 'A', emoji: '🦊' }) },
      400,
      'mutation/invalid',
      'id',
    ],
    [
      'a cross-site Origin',
      {
        body: json({ id, name: 'A', emoji: '🦊' }),
        headers: { origin: 'https://evil.example' },
      },
      403,
      'request/cross-origin',
      undefined,
    ],
    [
      'a cross-site fetch',
      {
        body: json({ id, name: 'A', emoji: '🦊' }),
        headers: { 'sec-fetch-site': 'cross-site' },
      },
      403,
      'request/cross-origin',
      undefined,
    ],
    [
      'a garbage Origin',
      {
        body: json({ id, name: 'A', emoji: '🦊' }),
        headers: { origin: 'null' },
      },
      403,
      'request/cross-origin',
      undefined,
    ],
  ])('answers a create with %s', async (_, call, status, code, field) => {
    const space = `api-${randomUUID()}`
    const before = await everything(db())

    const result = await run(() =>
      createAvatar(request(call as Call), db(), space),
    )

    expect(result.status).toBe(status)
    expect(result.body.error.code).toBe(code)
    expect(result.body.error.field).toBe(field)
    expect(result.body.error.message).toEqual(expect.any(String))
    expect(await everything(db())).toEqual(before)
  })

  it('accepts a same-origin browser request', async () => {
    const result = await run(() =>
      createAvatar(
        request({
          body: json({ id: randomUUID(), name: 'A', emoji: '🦊' }),
          headers: {
            origin: `http://${HOST}`,
            'sec-fetch-site': 'same-origin',
          },
        }),
        db(),
        `api-${randomUUID()}`,
      ),
    )
    expect(result.status).toBe(201)
  })

  it.each([
    ['an empty patch', json({}), 400, 'mutation/invalid', undefined],
    [
      'an unknown field',
      json({ spaceId: 'mine' }),
      400,
      'mutation/invalid',
      'spaceId',
    ],
    [
      'an id in the body',
      json({ id: randomUUID() }),
      400,
      'mutation/invalid',
      'id',
    ],
    [
      'a non-boolean isActive',
      json({ isActive: 1 }),
      400,
      'mutation/invalid',
      'isActive',
    ],
    [
      'a bad position',
      json({ position: 'Z' }),
      400,
      'mutation/invalid',
      'position',
    ],
    ['a string body', json('name'), 400, 'mutation/invalid', undefined],
  ])('answers an update with %s', async (_, body, status, code, field) => {
    const space = `api-${randomUUID()}`
    const target = await seed(space)
    const before = await everything(db())

    const result = await run(() =>
      updateAvatar(request({ method: 'PATCH', body }), db(), space, target),
    )

    expect([
      result.status,
      result.body.error.code,
      result.body.error.field,
    ]).toEqual([status, code, field])
    expect(await everything(db())).toEqual(before)
  })

  it.each(['PATCH', 'DELETE'] as const)(
    'answers %s on another guest’s avatar with avatar/not-found and leaves it alone',
    async (method) => {
      const owner = `api-${randomUUID()}`
      const intruder = `api-${randomUUID()}`
      const theirs = await seed(owner, 'Secret')
      const before = await everything(db())

      const call = request({
        method,
        body: method === 'PATCH' ? json({ name: 'Stolen' }) : undefined,
      })
      const result = await run(() =>
        method === 'PATCH'
          ? updateAvatar(call, db(), intruder, theirs)
          : deleteAvatar(call, db(), intruder, theirs),
      )

      expect([result.status, result.body.error.code]).toEqual([
        404,
        'avatar/not-found',
      ])
      expect(JSON.stringify(result.body)).not.toContain('Secret')
      expect(await everything(db())).toEqual(before)
    },
  )

  it('answers a create reusing another guest’s id with avatar/id-taken', async () => {
    const owner = `api-${randomUUID()}`
    const theirs = await seed(owner, 'Secret')
    const before = await everything(db())

    const result = await run(() =>
      createAvatar(
        request({ body: json({ id: theirs, name: 'Mine', emoji: '🐸' }) }),
        db(),
        `api-${randomUUID()}`,
      ),
    )

    expect([result.status, result.body.error.code]).toEqual([
      409,
      'avatar/id-taken',
    ])
    expect(JSON.stringify(result.body)).not.toContain('Secret')
    expect(await everything(db())).toEqual(before)
  })

  it('answers a malformed id in the path with mutation/invalid', async () => {
    const result = await run(() =>
      deleteAvatar(request({ method: 'DELETE' }), db(), 'x', '../../etc'),
    )
    expect([result.status, result.body.error.field]).toEqual([400, 'id'])
  })

  it('never lists another guest’s avatars', async () => {
    const owner = `api-${randomUUID()}`
    await seed(owner, 'Secret')
    const result = await run(() => listRoster(db(), `api-${randomUUID()}`))
    expect(result.body).toEqual({ avatars: [] })
  })

  it('answers 500 with a generic message when the database fails', async () => {
    const broken = {
      transaction: () => Promise.reject(new Error('connection lost')),
    } as unknown as Database
    const lines: string[] = []
    vi.mocked(console.error).mockImplementation((line: string) => {
      lines.push(line)
    })

    const result = await run(() =>
      createAvatar(
        request({ body: json({ id: randomUUID(), name: 'A', emoji: '🦊' }) }),
        broken,
        'x',
      ),
    )

    expect(result).toEqual({
      status: 500,
      body: {
        error: {
          code: 'server/internal',
          message: 'something went wrong on our side',
        },
      },
    })
    expect(lines).toContain('[test] request failed (Error: connection lost)')
  })
})
