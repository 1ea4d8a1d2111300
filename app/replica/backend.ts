import { isAppError } from '@/lib/errors'
import type { Avatar, MutationArgs, MutationName } from '@/sync/mutations'

import { ApiError } from '../roster/api'

/**
 * Where the roster's data hooks read and write: the server (before the
 * replica is ready, or where it cannot run) or the browser replica. The
 * hooks ask for the current one on every call, so a write made after the
 * replica became ready never goes to the server by a stale reference.
 */
export interface RosterBackend {
  readonly kind: 'server' | 'replica'
  /** The viewer's roster, sorted. */
  listAvatars(signal?: AbortSignal): Promise<Avatar[]>
  /**
   * Applies one mutation: on the server at once, or in the replica and its
   * outbox in one local transaction. Resolves with the avatar as it now is,
   * or null when it is gone or the answer did not carry it. Rejects with an
   * ApiError.
   */
  write<N extends MutationName>(
    name: N,
    args: MutationArgs<N>,
  ): Promise<Avatar | null>
}

/** Every failure the hooks see is an ApiError, whatever produced it. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (isAppError(error)) {
    if (error.code === 'sync/network') {
      return new ApiError(
        'network/unreachable',
        "Can't reach the server. Check your connection and try again.",
        { status: 0, cause: error },
      )
    }
    return new ApiError(error.code, error.message, {
      status: error.status,
      field: error.field,
      cause: error,
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new ApiError('client/unexpected', message, {
    status: 500,
    cause: error,
  })
}
