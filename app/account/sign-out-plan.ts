/**
 * What sign-out removes from this browser and what it says, as pure
 * functions so the rules are tested without a browser. See ADR 013.
 */
import { VIEWER_CACHE_PREFIX } from '@/sw/routes'

import { idbDatabaseName } from '../replica/names'

/** The BroadcastChannel tabs announce a change of viewer on. */
export const IDENTITY_CHANNEL = 'rollcall-identity'

/** The IndexedDB database the persisted query cache lives in. */
export const QUERY_CACHE_DATABASE = 'rollcall-cache'

/** A message on {@link IDENTITY_CHANNEL}. */
export type IdentityMessage =
  /** This tab's viewer changed. */
  | {
      type: 'viewer-changed'
      /** The new viewer's space, when the sender knows it. */
      spaceId: string | null
    }
  /** This tab signed out offline: every tab lets go of the account now. */
  | { type: 'sign-out-pending' }

export function isIdentityMessage(value: unknown): value is IdentityMessage {
  if (typeof value !== 'object' || value === null) return false
  const message = value as Record<string, unknown>
  if (message.type === 'sign-out-pending') return true
  return (
    message.type === 'viewer-changed' &&
    (message.spaceId === null || typeof message.spaceId === 'string')
  )
}

/**
 * The words of the confirmation shown when pending changes cannot reach
 * the server before sign-out.
 */
export function lostChangesMessage(count: number): string {
  const changes = count === 1 ? '1 change' : `${count} changes`
  return `${changes} not yet synced will be lost on this device. Sign out anyway?`
}

/**
 * The replica databases to delete: every Rollcall replica on this device
 * (any space, any schema epoch), except the one of `keepSpaceId`, the new
 * viewer's, which another tab may already have opened.
 */
export function replicaDatabasesToWipe(
  databaseNames: readonly string[],
  keepSpaceId: string | null,
): string[] {
  const prefix = idbDatabaseName('rollcall-')
  const kept =
    keepSpaceId === null ? null : idbDatabaseName(`rollcall-${keepSpaceId}-e`)
  return databaseNames.filter((name) => {
    if (!name.startsWith(prefix)) return false
    if (kept !== null && name.startsWith(kept)) {
      return !/^\d{1,6}$/.test(name.slice(kept.length))
    }
    return true
  })
}

/**
 * The service worker caches that may hold a viewer's data. The worker keeps
 * none today (ADR 009); anything under the viewer prefix goes. The PGlite
 * and static asset caches and the precache are the same for everyone and
 * stay.
 */
export function viewerCachesToWipe(cacheNames: readonly string[]): string[] {
  return cacheNames.filter((name) => name.startsWith(VIEWER_CACHE_PREFIX))
}
