'use client'

import { useReplica } from './replica-context'

/**
 * A quiet line where the browser cannot keep a local copy (no IndexedDB,
 * private mode, no room, or PGlite failed to load): everything still works,
 * but only while online.
 */
export function ReplicaNote() {
  const { status } = useReplica()
  if (status !== 'unavailable') return null
  return (
    <p className="replica-note muted" data-testid="replica-note">
      This browser can’t keep a copy of your roster on this device, so Rollcall
      works only while you’re online.
    </p>
  )
}
