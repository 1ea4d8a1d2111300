'use client'

import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'

import { createLogger } from '@/lib/logger'

import type { Viewer } from '../roster/api'
import { viewerKeys } from '../roster/query-keys'
import { Roster } from '../roster/roster'
import { findSavedSpace, type SavedSpace } from './saved-space.client'

const log = createLogger('shell')

type Found = { state: 'looking' } | { state: 'none' } | SavedSpaceFound
type SavedSpaceFound = { state: 'found' } & SavedSpace

/**
 * The roster of the last space this device kept, for the offline shell:
 * first from the persisted query cache, then from the replica, which the
 * provider boots for that space once the viewer is known. The shell's HTML
 * knows no viewer; everything here comes from this browser's own storage.
 */
export function ShellRoster() {
  const client = useQueryClient()
  const [found, setFound] = useState<Found>({ state: 'looking' })

  useEffect(() => {
    let cancelled = false
    findSavedSpace().then(
      (saved) => {
        if (cancelled) return
        if (!saved) return setFound({ state: 'none' })
        // The viewer names the space the replica is opened for.
        if (!client.getQueryData<Viewer>(viewerKeys.current())) {
          client.setQueryData(viewerKeys.current(), saved.viewer)
        }
        setFound({ state: 'found', ...saved })
      },
      (error: unknown) => {
        log.warn(`nothing readable on this device: ${describe(error)}`)
        if (!cancelled) setFound({ state: 'none' })
      },
    )
    return () => {
      cancelled = true
    }
  }, [client])

  if (found.state === 'none') {
    return (
      <p role="status" className="shell-status">
        Offline — nothing saved on this device yet. Once you have used Rollcall
        online here, your roster loads from this device.
      </p>
    )
  }
  return (
    <>
      <p role="status" className="shell-status">
        Offline — your roster loads from this device.
      </p>
      {found.state === 'found' ? (
        <Roster
          initial={
            // Without a cached roster, nothing is shown until the replica
            // answers (an empty list would say the roster is empty).
            found.avatars
              ? { viewer: found.viewer, avatars: found.avatars }
              : { viewer: null, avatars: [] }
          }
        />
      ) : null}
    </>
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
