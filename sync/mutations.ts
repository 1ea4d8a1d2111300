import { z } from 'zod'

import { AppError } from '../lib/errors'
import { zodToAppError } from '../lib/zod-error'

import {
  avatarIdSchema,
  emojiSchema,
  nameSchema,
  positionSchema,
} from './validation'

/**
 * The write vocabulary. Each mutation carries only the fields it changes, so
 * concurrent edits to different fields both survive. The same definitions
 * validate the REST routes, the sync push and the client's local writes.
 */
export const mutationArgs = {
  createAvatar: z
    .object({
      id: avatarIdSchema,
      emoji: emojiSchema,
      name: nameSchema,
      isActive: z.boolean().default(false),
      /** Omitted: the avatar goes to the end of the roster. */
      position: positionSchema.optional(),
    })
    .strict(),
  renameAvatar: z.object({ id: avatarIdSchema, name: nameSchema }).strict(),
  setEmoji: z.object({ id: avatarIdSchema, emoji: emojiSchema }).strict(),
  setActive: z.object({ id: avatarIdSchema, isActive: z.boolean() }).strict(),
  moveAvatar: z
    .object({ id: avatarIdSchema, position: positionSchema })
    .strict(),
  deleteAvatar: z.object({ id: avatarIdSchema }).strict(),
} as const

export type MutationName = keyof typeof mutationArgs

export type MutationArgs<N extends MutationName> = z.output<
  (typeof mutationArgs)[N]
>

export type MutationInput<N extends MutationName> = z.input<
  (typeof mutationArgs)[N]
>

export const mutationNames = Object.keys(mutationArgs) as MutationName[]

export function isMutationName(value: unknown): value is MutationName {
  return typeof value === 'string' && Object.hasOwn(mutationArgs, value)
}

/**
 * Parses a mutation's arguments, on the server and in the client alike.
 * Throws `mutation/unknown` or `mutation/invalid` (400) naming the field at
 * fault; nothing has been written at that point.
 */
export function parseMutation<N extends MutationName>(
  name: N,
  args: unknown,
): MutationArgs<N> {
  if (!isMutationName(name)) {
    throw new AppError(
      'mutation/unknown',
      `unknown mutation ${JSON.stringify(name)}`,
      { status: 400, field: 'name' },
    )
  }
  const result = (mutationArgs[name] as z.ZodType).safeParse(args)
  if (result.success) return result.data as MutationArgs<N>
  throw zodToAppError(result.error, 'mutation/invalid')
}

/** An avatar as clients see it (no space id, no internal columns). */
export interface Avatar {
  id: string
  emoji: string
  name: string
  isActive: boolean
  position: string
  version: number
}

/** Live avatars per space; a roster beyond this is refused. */
export const MAX_AVATARS_PER_SPACE = 200

/** Sorts a roster by position, ties broken by id (deterministic). */
export function compareAvatars(
  a: Pick<Avatar, 'id' | 'position'>,
  b: Pick<Avatar, 'id' | 'position'>,
): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
