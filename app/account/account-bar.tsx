'use client'

import { useQueryClient } from '@tanstack/react-query'
import Link from 'next/link'
import { useCallback, useState, useSyncExternalStore } from 'react'

import { useReplica } from '../replica/replica-context'
import type { Viewer } from '../roster/api'
import { viewerKeys } from '../roster/query-keys'
import { signOutAction } from './actions'
import { announceViewerChange, switchViewer } from './identity.client'
import { SignOutDialog } from './sign-out-dialog'
import { useSignOutOffline } from './sign-out-guard'
import { wipeViewerData } from './wipe.client'

type Phase =
  | { step: 'idle' }
  | { step: 'delivering' }
  | { step: 'confirm'; count: number }
  | { step: 'signing-out' }
  | { step: 'failed'; message: string }

const UNRECORDED =
  'Could not reach Rollcall, nor keep the sign-out on this device to finish ' +
  'later. Nothing was removed; try again once you are online.'

/**
 * Sign-up and sign-in links for a guest; a sign-out button for a user.
 * Follows the viewer in the query cache, so a change of viewer made in
 * another tab shows here without a reload.
 */
export function AccountBar({ kind }: { kind: 'guest' | 'user' | null }) {
  const current = useViewerKind() ?? kind
  const client = useQueryClient()
  const replica = useReplica()
  const signOutOffline = useSignOutOffline()
  const [phase, setPhase] = useState<Phase>({ step: 'idle' })
  const busy = phase.step === 'delivering' || phase.step === 'signing-out'

  const finish = useCallback(async () => {
    setPhase({ step: 'signing-out' })
    let next
    try {
      next = await signOutAction()
    } catch {
      // No server to end the session: the sign-out finishes once there is
      // one, and this browser lets go of the account now.
      try {
        await signOutOffline()
      } catch {
        setPhase({ step: 'failed', message: UNRECORDED })
      }
      return
    }
    announceViewerChange(next.spaceId)
    // The old roster leaves the screen and the replica closes before the
    // wipe, which waits for the replica's database to be released.
    switchViewer(client, next)
    await wipeViewerData(next.spaceId)
    // A full load, not a client navigation: every part of the page starts
    // over as the new guest.
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination
    window.location.assign('/')
  }, [client, signOutOffline])

  const start = useCallback(async () => {
    if (busy) return
    setPhase({ step: 'delivering' })
    // Pending changes go to the server while the session still speaks for
    // this space; what cannot go is counted for the person to decide.
    const left = await replica.flush().catch(() => Math.max(1, replica.pending))
    if (left > 0) setPhase({ step: 'confirm', count: left })
    else await finish()
  }, [busy, replica, finish])

  if (current !== 'user') {
    return (
      <nav className="account-bar" aria-label="Account">
        {/* Not prefetched: the app shell shows these offline too, and a
            prefetch there only fails; online they cost a request per view. */}
        <Link href="/sign-up" prefetch={false}>
          Sign up
        </Link>
        <Link href="/sign-in" prefetch={false}>
          Sign in
        </Link>
      </nav>
    )
  }
  return (
    <nav className="account-bar" aria-label="Account">
      <button
        type="button"
        aria-disabled={busy || undefined}
        onClick={() => void start()}
      >
        {phase.step === 'delivering'
          ? 'Syncing before sign-out…'
          : phase.step === 'signing-out'
            ? 'Signing out…'
            : 'Sign out'}
      </button>
      {phase.step === 'failed' ? (
        <p role="alert" className="field-error">
          {phase.message}
        </p>
      ) : null}
      {phase.step === 'confirm' ? (
        <SignOutDialog
          count={phase.count}
          onCancel={() => setPhase({ step: 'idle' })}
          onConfirm={() => void finish()}
        />
      ) : null}
    </nav>
  )
}

/** The viewer's kind as the query cache knows it (undefined before). */
function useViewerKind(): Viewer['kind'] | undefined {
  const client = useQueryClient()
  const subscribe = useCallback(
    (onChange: () => void) => client.getQueryCache().subscribe(onChange),
    [client],
  )
  const read = () => client.getQueryData<Viewer>(viewerKeys.current())?.kind
  return useSyncExternalStore(subscribe, read, () => undefined)
}
