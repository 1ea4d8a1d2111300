import 'server-only'

import { z } from 'zod'

import type { Database } from '@/db/connect.server'
import { AppError } from '@/lib/errors'
import { zodToAppError } from '@/lib/zod-error'
import { assertSameOrigin, jsonResponse, readJsonBody } from '@/lib/http'
import type { MutationName } from '@/sync/mutations'
import {
  applyMutation,
  listAvatars,
  openSpaceWrite,
  type MutationEffect,
} from '@/sync/server/mutators.server'
import { avatarIdSchema } from '@/sync/validation'

/**
 * The REST surface over the mutators. Route files bind these to the viewer
 * and the server database; tests call them directly.
 */
export async function listRoster(db: Database, spaceId: string) {
  return jsonResponse({ avatars: await listAvatars(db, spaceId) })
}

export async function createAvatar(
  request: Request,
  db: Database,
  spaceId: string,
) {
  assertSameOrigin(request)
  const body = await readJsonBody(request)
  const effect = await db.transaction((tx) =>
    applyMutation(tx, spaceId, 'createAvatar', body),
  )
  return jsonResponse({ avatar: upserted(effect) }, 201)
}

// Each field maps to the mutation that changes it alone.
const fieldMutations = [
  ['name', 'renameAvatar'],
  ['emoji', 'setEmoji'],
  ['isActive', 'setActive'],
  ['position', 'moveAvatar'],
] as const satisfies ReadonlyArray<readonly [string, MutationName]>

const patchShape = z
  .object({
    name: z.unknown(),
    emoji: z.unknown(),
    isActive: z.unknown(),
    position: z.unknown(),
  })
  .partial()
  .strict()

export async function updateAvatar(
  request: Request,
  db: Database,
  spaceId: string,
  rawId: string,
) {
  assertSameOrigin(request)
  const id = parseId(rawId)
  const body = parsePatch(await readJsonBody(request))

  const effect = await db.transaction(async (tx) => {
    let last: MutationEffect | undefined
    const write = openSpaceWrite(tx, spaceId)
    for (const [field, mutation] of fieldMutations) {
      if (!(field in body)) continue
      last = await applyMutation(tx, write, mutation, {
        id,
        [field]: body[field],
      })
    }
    return last!
  })
  return jsonResponse({ avatar: upserted(effect) })
}

export async function deleteAvatar(
  request: Request,
  db: Database,
  spaceId: string,
  rawId: string,
) {
  assertSameOrigin(request)
  const id = parseId(rawId)
  await db.transaction((tx) =>
    applyMutation(tx, spaceId, 'deleteAvatar', { id }),
  )
  return jsonResponse({ deleted: id })
}

function parseId(rawId: string): string {
  const result = avatarIdSchema.safeParse(rawId)
  if (result.success) return result.data
  throw new AppError('mutation/invalid', 'id must be a UUID', {
    status: 400,
    field: 'id',
  })
}

function parsePatch(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('mutation/invalid', 'expected a JSON object', {
      status: 400,
    })
  }
  const result = patchShape.safeParse(body)
  if (!result.success) throw zodToAppError(result.error, 'mutation/invalid')
  if (Object.keys(body).length === 0) {
    throw new AppError(
      'mutation/invalid',
      'give at least one of name, emoji, isActive, position',
      { status: 400 },
    )
  }
  return body as Record<string, unknown>
}

function upserted(effect: MutationEffect) {
  if (effect.kind !== 'upsert') throw new Error('expected an upsert')
  return effect.avatar
}
