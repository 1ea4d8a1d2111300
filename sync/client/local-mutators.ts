import { AppError } from '../../lib/errors'
import {
  MAX_AVATARS_PER_SPACE,
  type MutationArgs,
  type MutationInput,
  type MutationName,
  parseMutation,
} from '../mutations'
import { positionAfter } from '../position'
import { avatarIdSchema } from '../validation'
import type { AvatarFields, AvatarStore } from './storage'

/**
 * The client's side of the mutators: the same mutation, applied to the
 * replica's visible rows, does what the server does with it. A mutation
 * aimed at a missing row does nothing here; the server refuses it and the
 * refusal comes back to the caller.
 */

/** Parses a mutation's arguments exactly as the server does. */
export const parseMutationArgs = parseMutation

/**
 * Completes parsed arguments before they are queued. A new avatar without a
 * position is placed after the last one the replica shows, so server and
 * replica agree on its place. Throws `space/full` (409) for an avatar the
 * roster has no room for; nothing is queued then.
 */
export async function completeMutation<N extends MutationName>(
  store: AvatarStore,
  name: N,
  args: MutationArgs<N>,
): Promise<MutationArgs<N>> {
  if (name !== 'createAvatar') return args

  if ((await store.count()) >= MAX_AVATARS_PER_SPACE) {
    throw new AppError(
      'space/full',
      `a roster holds at most ${MAX_AVATARS_PER_SPACE} avatars`,
      { status: 409 },
    )
  }
  const create = args as MutationArgs<'createAvatar'>
  if (create.position !== undefined) return args
  const position = positionAfter(await store.lastPosition())
  return { ...create, position } as MutationArgs<N>
}

/** Parses what a caller asked for, then completes it (see above). */
export async function prepareMutation<N extends MutationName>(
  store: AvatarStore,
  name: N,
  input: MutationInput<N>,
): Promise<MutationArgs<N>> {
  return completeMutation(store, name, parseMutationArgs(name, input))
}

/**
 * Applies parsed arguments to `store`. Returns false when the mutation
 * changed nothing (its row is missing, or the id of a new avatar is taken,
 * or the roster is full): the server will refuse it.
 */
export async function applyLocalMutation<N extends MutationName>(
  store: AvatarStore,
  name: N,
  args: MutationArgs<N>,
): Promise<boolean> {
  const apply = localMutators[name] as LocalMutator<N>
  return apply(store, args)
}

type LocalMutator<N extends MutationName> = (
  store: AvatarStore,
  args: MutationArgs<N>,
) => Promise<boolean>

const localMutators: { [N in MutationName]: LocalMutator<N> } = {
  async createAvatar(store, args) {
    if (await exists(store, args.id)) return false
    if ((await store.count()) >= MAX_AVATARS_PER_SPACE) return false
    await store.put({
      id: args.id,
      emoji: args.emoji,
      name: args.name,
      isActive: args.isActive,
      position: args.position ?? positionAfter(await store.lastPosition()),
      // Not yet known: the server's version arrives with the next pull.
      version: 0,
    })
    return true
  },

  renameAvatar: (store, { id, name }) => update(store, id, { name }),

  setEmoji: (store, { id, emoji }) => update(store, id, { emoji }),

  setActive: (store, { id, isActive }) => update(store, id, { isActive }),

  moveAvatar: (store, { id, position }) => update(store, id, { position }),

  async deleteAvatar(store, { id }) {
    if (!(await exists(store, id))) return false
    await store.remove([id])
    return true
  },
}

async function exists(store: AvatarStore, id: string): Promise<boolean> {
  return (await store.get([id])).length > 0
}

async function update(
  store: AvatarStore,
  id: string,
  fields: AvatarFields,
): Promise<boolean> {
  if (!(await exists(store, id))) return false
  await store.update(id, fields)
  return true
}

/** The avatar id a mutation is aimed at, when its arguments carry a valid one. */
export function targetOf(args: unknown): string | undefined {
  const parsed = avatarIdSchema.safeParse((args as { id?: unknown } | null)?.id)
  return parsed.success ? parsed.data : undefined
}
