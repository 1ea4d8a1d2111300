'use client'

import { useQueryClient } from '@tanstack/react-query'
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useState,
} from 'react'

import { createLogger } from '@/lib/logger'
import {
  finishPendingSignOut,
  markSignOutPending,
  signOutPending,
} from '@/sw/pending-sign-out'

import { suspendQueryPersistence } from '../replica/query-persistence.client'
import { announce, announceViewerChange } from './identity.client'
import { IDENTITY_CHANNEL, isIdentityMessage } from './sign-out-plan'
import { wipeViewerData } from './wipe.client'

const log = createLogger('sign-out')

/** How often a pending sign-out asks the server again, besides `online`. */
const RETRY_MS = 30_000

/** Signs out with no server to tell: see {@link SignOutGuard}. */
type SignOutOffline = () => Promise<void>

const SignOutOfflineContext = createContext<SignOutOffline | null>(null)

export function useSignOutOffline(): SignOutOffline {
  const signOut = useContext(SignOutOfflineContext)
  if (!signOut) throw new Error('useSignOutOffline needs a <SignOutGuard>')
  return signOut
}

/**
 * Keeps an unfinished sign-out closed (ADR 013). Signing out offline cannot
 * end the session (its cookie is HttpOnly), so the tab records the sign-out
 * (sw/pending-sign-out.ts) and every tab of this browser drops the account:
 * the replica closes (its provider is inside this guard), the in-memory and
 * persisted caches and the replica databases go, and the page says it is
 * signed out. Once the server can be reached, it ends the session and the
 * page starts over as a new guest. A page loaded while the flag is set
 * shows the same (the service worker keeps the account's pages from
 * loading at all).
 */
export function SignOutGuard({ children }: { children: ReactNode }) {
  const client = useQueryClient()
  const [pending, setPending] = useState(false)

  useEffect(() => {
    let cancelled = false
    void signOutPending().then((found) => {
      if (found && !cancelled) setPending(true)
    })
    const channel =
      typeof BroadcastChannel === 'undefined'
        ? null
        : new BroadcastChannel(IDENTITY_CHANNEL)
    const onMessage = (event: MessageEvent) => {
      if (
        isIdentityMessage(event.data) &&
        event.data.type === 'sign-out-pending'
      ) {
        setPending(true)
      }
    }
    channel?.addEventListener('message', onMessage)
    return () => {
      cancelled = true
      channel?.close()
    }
  }, [])

  useEffect(() => {
    if (!pending) return
    // Nothing of the account is saved again, shown again or kept.
    suspendQueryPersistence()
    client.clear()
    const wiped = wipeViewerData(null)
    let stopped = false
    let trying = false
    const attempt = async () => {
      if (trying || stopped) return
      trying = true
      try {
        await wiped
        // Another tab (or the service worker) may have finished it already.
        if (await signOutPending()) {
          const guest = await finishPendingSignOut(window.location.origin)
          if (!guest || stopped) return
          log.info('the server ended the session; starting as a new guest')
          announceViewerChange(guest.spaceId)
        }
        if (stopped) return
        stopped = true
        // eslint-disable-next-line @next/next/no-location-assign-relative-destination
        window.location.assign('/')
      } finally {
        trying = false
      }
    }
    void attempt()
    const onOnline = () => void attempt()
    const channel =
      typeof BroadcastChannel === 'undefined'
        ? null
        : new BroadcastChannel(IDENTITY_CHANNEL)
    channel?.addEventListener('message', onOnline)
    window.addEventListener('online', onOnline)
    window.addEventListener('focus', onOnline)
    const timer = setInterval(onOnline, RETRY_MS)
    return () => {
      stopped = true
      channel?.close()
      window.removeEventListener('online', onOnline)
      window.removeEventListener('focus', onOnline)
      clearInterval(timer)
    }
  }, [pending, client])

  const signOutOffline = useCallback(async () => {
    await markSignOutPending()
    announce({ type: 'sign-out-pending' })
    setPending(true)
  }, [])

  return (
    <SignOutOfflineContext.Provider value={signOutOffline}>
      {pending ? <SignedOutNotice /> : children}
    </SignOutOfflineContext.Provider>
  )
}

function SignedOutNotice() {
  return (
    <main className="page">
      <header className="page-header">
        <h1>Rollcall</h1>
      </header>
      <p role="status" className="signed-out-status">
        Signed out. Nothing of that account is left on this device. Rollcall
        finishes signing out, and starts you as a new guest, once it can reach
        the server again.
      </p>
    </main>
  )
}
