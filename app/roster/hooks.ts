'use client'

import {
  skipToken,
  useMutation,
  useMutationState,
  useQuery,
  useQueryClient,
  type MutateOptions,
  type QueryClient,
} from '@tanstack/react-query'
import { useCallback } from 'react'
import type { z } from 'zod'

import {
  compareAvatars,
  mutationArgs,
  type Avatar,
  type MutationArgs,
} from '@/sync/mutations'
import { positionAfter, positionBetween } from '@/sync/position'

import { useReplica } from '../replica/replica-context'
import {
  ApiError,
  fetchViewer,
  isApiError,
  type AvatarChanges,
  type Viewer,
} from './api'
import { newAvatarId } from './new-id'
import { rosterKeys, viewerKeys, type RosterAction } from './query-keys'

/** What the server rendered: the viewer (if it knew one) and their roster. */
export interface RosterSnapshot {
  viewer: Viewer | null
  avatars: Avatar[]
}

export interface RosterState {
  viewer: Viewer | undefined
  /** Sorted by position, ties by id. Undefined until first loaded. */
  avatars: Avatar[] | undefined
  isPending: boolean
  error: ApiError | null
  retry: () => void
}

export interface AddAvatarInput {
  emoji: string
  name: string
  isActive?: boolean
}
export type AddAvatarVariables = AddAvatarInput & { id: string }
export interface RenameVariables {
  id: string
  name: string
}
export interface SetEmojiVariables {
  id: string
  emoji: string
}
export interface SetActiveVariables {
  id: string
  isActive: boolean
}
export interface MoveVariables {
  id: string
  position: string
}
export interface DeleteVariables {
  id: string
}
export type MoveDirection = 'up' | 'down'

/** What a write saw before it changed the cache, to undo it on failure. */
export interface WriteContext {
  spaceId: string | undefined
  previous: Avatar | undefined
  changes: AvatarChanges
}

// Every roster write shares one scope, so writes reach the server in the
// order they were made: an edit never overtakes the create it depends on.
const WRITE_SCOPE = { id: 'roster-writes' }

/** The roster's update mutations, one field each. */
type UpdateName = 'renameAvatar' | 'setEmoji' | 'setActive' | 'moveAvatar'

/**
 * The viewer and their roster. Starts from the server render, so the first
 * paint needs no request; asks the API only for what the render lacked.
 * Once the browser replica is ready the roster is read from it instead (and
 * its data wins over the render); it refreshes when the replica changes.
 */
export function useRoster(initial: RosterSnapshot): RosterState {
  const replica = useReplica()
  const local = replica.status === 'ready'
  const viewerQuery = useQuery<Viewer, ApiError>({
    queryKey: viewerKeys.current(),
    queryFn: ({ signal }) => fetchViewer(signal),
    initialData: () => initial.viewer ?? undefined,
    staleTime: Infinity,
  })
  const spaceId = viewerQuery.data?.spaceId
  const seeded = spaceId !== undefined && spaceId === initial.viewer?.spaceId

  const rosterQuery = useQuery<Avatar[], ApiError>({
    queryKey: rosterKeys.all(spaceId ?? ''),
    queryFn:
      spaceId === undefined
        ? skipToken
        : ({ signal }) => replica.backend().listAvatars(signal),
    initialData: () =>
      seeded ? [...initial.avatars].sort(compareAvatars) : undefined,
    // The replica is local: reading it never waits for the network, and it
    // says itself when it changed.
    ...(local ? { networkMode: 'always', staleTime: Infinity } : {}),
  })

  const { refetch: refetchViewer } = viewerQuery
  const { refetch: refetchRoster } = rosterQuery
  const viewerFailed = viewerQuery.error !== null
  const retry = useCallback(() => {
    void (viewerFailed ? refetchViewer() : refetchRoster())
  }, [viewerFailed, refetchViewer, refetchRoster])

  return {
    viewer: viewerQuery.data,
    avatars: rosterQuery.data,
    isPending: rosterQuery.isPending,
    error: viewerQuery.error ?? rosterQuery.error,
    retry,
  }
}

/** Adds an avatar at the end of the roster; `add` picks its id. */
export function useAddAvatar() {
  const client = useQueryClient()
  const replica = useReplica()
  const mutation = useMutation<
    Avatar | null,
    ApiError,
    AddAvatarVariables,
    WriteContext
  >({
    mutationKey: rosterKeys.mutation('create'),
    scope: WRITE_SCOPE,
    networkMode: 'always',
    mutationFn: (variables) =>
      replica
        .backend()
        .write('createAvatar', validate(mutationArgs.createAvatar, variables)),
    onMutate: (variables) => {
      const input = validate(mutationArgs.createAvatar, variables)
      const context = begin(client, input.id, {})
      editRoster(client, context.spaceId, (avatars) => [
        ...avatars,
        {
          ...input,
          position: positionAfter(avatars.at(-1)?.position ?? null),
          version: 0,
        },
      ])
      return context
    },
    onSuccess: (avatar, _variables, context) => {
      if (!avatar) return
      // The server decides where the avatar goes; edits made since the
      // create was sent stay in the cache until their own answers arrive.
      editAvatar(client, context.spaceId, avatar.id, (current) => ({
        ...current,
        position: avatar.position,
        version: Math.max(current.version, avatar.version),
      }))
    },
    onError: (_error, variables, context) => {
      if (!context) return
      editRoster(client, context.spaceId, (avatars) =>
        avatars.filter((avatar) => avatar.id !== variables.id),
      )
    },
    onSettled: (_data, _error, _variables, context) =>
      settle(client, context?.spaceId),
  })

  const { mutate } = mutation
  const add = useCallback(
    (
      input: AddAvatarInput,
      options?: MutateOptions<
        Avatar | null,
        ApiError,
        AddAvatarVariables,
        WriteContext
      >,
    ) => mutate({ ...input, id: newAvatarId() }, options),
    [mutate],
  )
  return { ...mutation, add }
}

export function useRenameAvatar() {
  return useAvatarUpdate<RenameVariables>(
    'rename',
    'renameAvatar',
    (variables) => ({
      name: validate(mutationArgs.renameAvatar, variables).name,
    }),
  )
}

export function useSetEmoji() {
  return useAvatarUpdate<SetEmojiVariables>(
    'set-emoji',
    'setEmoji',
    (variables) => ({
      emoji: validate(mutationArgs.setEmoji, variables).emoji,
    }),
  )
}

export function useSetActive() {
  return useAvatarUpdate<SetActiveVariables>(
    'set-active',
    'setActive',
    (variables) => ({
      isActive: validate(mutationArgs.setActive, variables).isActive,
    }),
  )
}

/**
 * Moves an avatar one place up or down: `move` picks a position between the
 * neighbours it passes, from the roster as the cache shows it now.
 */
export function useMoveAvatar() {
  const client = useQueryClient()
  const mutation = useAvatarUpdate<MoveVariables>(
    'move',
    'moveAvatar',
    (variables) => ({
      position: validate(mutationArgs.moveAvatar, variables).position,
    }),
  )

  const { mutate } = mutation
  const move = useCallback(
    (
      id: string,
      direction: MoveDirection,
      options?: MutateOptions<
        Avatar | null,
        ApiError,
        MoveVariables,
        WriteContext
      >,
    ): boolean => {
      const spaceId = spaceIdOf(client)
      const avatars =
        spaceId === undefined
          ? undefined
          : client.getQueryData<Avatar[]>(rosterKeys.all(spaceId))
      const position = avatars && positionForMove(avatars, id, direction)
      if (!position) return false
      mutate({ id, position }, options)
      return true
    },
    [client, mutate],
  )
  return { ...mutation, move }
}

export function useDeleteAvatar() {
  const client = useQueryClient()
  const replica = useReplica()
  return useMutation<string, ApiError, DeleteVariables, WriteContext>({
    mutationKey: rosterKeys.mutation('delete'),
    scope: WRITE_SCOPE,
    networkMode: 'always',
    mutationFn: async ({ id }) => {
      try {
        await replica.backend().write('deleteAvatar', { id })
        return id
      } catch (error) {
        // Already gone (deleted elsewhere): what the person asked for holds.
        if (isApiError(error) && (error.status === 404 || error.status === 410))
          return id
        throw error
      }
    },
    onMutate: (variables) => {
      const { id } = validate(mutationArgs.deleteAvatar, variables)
      const context = begin(client, id, {})
      editRoster(client, context.spaceId, (avatars) =>
        avatars.filter((avatar) => avatar.id !== id),
      )
      return context
    },
    onError: (_error, _variables, context) => {
      const previous = context?.previous
      if (!previous) return
      editRoster(client, context.spaceId, (avatars) =>
        avatars.some((avatar) => avatar.id === previous.id)
          ? avatars
          : [...avatars, previous],
      )
    },
    onSettled: (_data, _error, _variables, context) =>
      settle(client, context?.spaceId),
  })
}

/**
 * Why the latest delete of this avatar failed, or null. A failed delete puts
 * the avatar back, so its row remounts and cannot keep the error itself.
 */
export function useDeleteAvatarError(id: string): ApiError | null {
  const outcomes = useMutationState({
    filters: { mutationKey: rosterKeys.mutation('delete') },
    select: (mutation) => ({
      id: (mutation.state.variables as DeleteVariables | undefined)?.id,
      error: mutation.state.error as ApiError | null,
    }),
  })
  return outcomes.findLast((outcome) => outcome.id === id)?.error ?? null
}

/**
 * A position that moves the avatar one place, or null at either end. Ties
 * (equal positions from concurrent offline moves) are stepped over, so the
 * avatar always changes place.
 */
export function positionForMove(
  avatars: readonly Avatar[],
  id: string,
  direction: MoveDirection,
): string | null {
  const index = avatars.findIndex((avatar) => avatar.id === id)
  if (index === -1) return null

  if (direction === 'up') {
    const after = avatars[index - 1]?.position
    if (after === undefined) return null
    const before = avatars
      .slice(0, index - 1)
      .findLast((avatar) => avatar.position < after)
    return positionBetween(before?.position ?? null, after)
  }

  const before = avatars[index + 1]?.position
  if (before === undefined) return null
  const after = avatars
    .slice(index + 2)
    .find((avatar) => avatar.position > before)
  return positionBetween(before, after?.position ?? null)
}

function useAvatarUpdate<V extends { id: string }>(
  action: RosterAction,
  name: UpdateName,
  changesOf: (variables: V) => AvatarChanges,
) {
  const client = useQueryClient()
  const replica = useReplica()
  return useMutation<Avatar | null, ApiError, V, WriteContext>({
    mutationKey: rosterKeys.mutation(action),
    scope: WRITE_SCOPE,
    networkMode: 'always',
    mutationFn: (variables) =>
      replica.backend().write(name, {
        id: variables.id,
        ...changesOf(variables),
      } as MutationArgs<UpdateName>),
    onMutate: (variables) => {
      const changes = changesOf(variables)
      const context = begin(client, variables.id, changes)
      editAvatar(client, context.spaceId, variables.id, (current) => ({
        ...current,
        ...changes,
      }))
      return context
    },
    onSuccess: (avatar, _variables, context) => {
      if (!avatar) return
      // Only the fields this write changed: a later write to the same avatar
      // may still be waiting, and its optimistic value must stay visible.
      editAvatar(client, context.spaceId, avatar.id, (current) => ({
        ...copyFields(current, avatar, context.changes),
        version: Math.max(current.version, avatar.version),
      }))
    },
    onError: (_error, variables, context) => {
      const previous = context?.previous
      if (!previous) return
      editAvatar(client, context.spaceId, variables.id, (current) =>
        copyFields(current, previous, context.changes),
      )
    },
    onSettled: (_data, _error, _variables, context) =>
      settle(client, context?.spaceId),
  })
}

function spaceIdOf(client: QueryClient): string | undefined {
  return client.getQueryData<Viewer>(viewerKeys.current())?.spaceId
}

/**
 * Stops in-flight reads of the roster and notes the avatar as it was. Runs
 * synchronously, so the optimistic edit that follows lands in the same event
 * as the click: a controlled checkbox never flips back for a frame.
 */
function begin(
  client: QueryClient,
  id: string,
  changes: AvatarChanges,
): WriteContext {
  const spaceId = spaceIdOf(client)
  if (spaceId === undefined) return { spaceId, previous: undefined, changes }

  // A read answering after the optimistic edit would paint over it.
  void client.cancelQueries({ queryKey: rosterKeys.all(spaceId) })
  const previous = client
    .getQueryData<Avatar[]>(rosterKeys.all(spaceId))
    ?.find((avatar) => avatar.id === id)
  return { spaceId, previous, changes }
}

function settle(client: QueryClient, spaceId: string | undefined): void {
  // While other writes are in flight a refetch would show the server without
  // them for a moment; the last write to settle refetches for all.
  if (client.isMutating({ mutationKey: rosterKeys.mutations() }) > 1) return
  void client.invalidateQueries({
    queryKey:
      spaceId === undefined ? rosterKeys.root() : rosterKeys.all(spaceId),
  })
}

function editRoster(
  client: QueryClient,
  spaceId: string | undefined,
  edit: (avatars: Avatar[]) => Avatar[],
): void {
  if (spaceId === undefined) return
  client.setQueryData<Avatar[]>(rosterKeys.all(spaceId), (avatars) =>
    avatars === undefined ? undefined : edit(avatars).sort(compareAvatars),
  )
}

function editAvatar(
  client: QueryClient,
  spaceId: string | undefined,
  id: string,
  edit: (avatar: Avatar) => Avatar,
): void {
  editRoster(client, spaceId, (avatars) =>
    avatars.map((avatar) => (avatar.id === id ? edit(avatar) : avatar)),
  )
}

function copyFields(
  target: Avatar,
  source: Avatar,
  changes: AvatarChanges,
): Avatar {
  const fields = Object.keys(changes) as (keyof AvatarChanges)[]
  return fields.reduce<Avatar>(
    (next, field) => ({ ...next, [field]: source[field] }),
    target,
  )
}

/**
 * Checks a write against the same schema the server applies, so a write the
 * server would refuse fails here, before the cache shows it.
 */
function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data

  const issue = result.error.issues[0]
  const field = issue?.path[0]
  throw new ApiError(
    'client/invalid-input',
    issue?.message ?? 'the input is not valid',
    { status: 400, field: typeof field === 'string' ? field : undefined },
  )
}
