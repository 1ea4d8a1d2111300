'use client'

import { type QueryClient, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'

import { createLogger } from '@/lib/logger'

import { fetchViewer, type Viewer } from '../roster/api'
import { rosterKeys, viewerKeys } from '../roster/query-keys'
import {
  IDENTITY_CHANNEL,
  type IdentityMessage,
  isIdentityMessage,
} from './sign-out-plan'

const log = createLogger('identity')

/** Tells the other tabs of this browser that the viewer changed. */
export function announceViewerChange(spaceId: string | null): void {
  announce({ type: 'viewer-changed', spaceId })
}

/** Tells this browser's tabs something about who is using it. */
export function announce(message: IdentityMessage): void {
  if (typeof BroadcastChannel === 'undefined') return
  const channel = new BroadcastChannel(IDENTITY_CHANNEL)
  channel.postMessage(message)
  channel.close()
}

/**
 * Makes this tab show `next`: the previous space's roster leaves the query
 * cache before the viewer changes, so it is never shown under the new one,
 * and the replica provider closes the old replica and opens the new
 * space's. Returns whether the space changed.
 */
export function switchViewer(client: QueryClient, next: Viewer): boolean {
  const previous = client.getQueryData<Viewer>(viewerKeys.current())
  if (previous?.spaceId === next.spaceId) {
    if (previous.kind !== next.kind || previous.label !== next.label) {
      client.setQueryData(viewerKeys.current(), next)
    }
    return false
  }
  void client.cancelQueries({ queryKey: rosterKeys.root() })
  client.removeQueries({ queryKey: rosterKeys.root() })
  client.setQueryData(viewerKeys.current(), next)
  log.info('the viewer changed; showing the new one')
  return true
}

/**
 * Follows changes of viewer made in other tabs: at once when one of them
 * announces it, and by asking the server when this tab comes back into
 * view (a tab that missed the message, or a change made elsewhere).
 */
export function IdentityFollower() {
  const client = useQueryClient()

  useEffect(() => {
    let checking: AbortController | undefined
    const check = async () => {
      // Without a viewer yet, the page is still finding out on its own.
      if (!client.getQueryData<Viewer>(viewerKeys.current())) return
      checking?.abort()
      const controller = new AbortController()
      checking = controller
      try {
        const next = await fetchViewer(controller.signal)
        if (!controller.signal.aborted) switchViewer(client, next)
      } catch {
        // Offline or the server is away: keep showing what this tab has.
      }
    }
    const onVisible = () => {
      if (document.visibilityState === 'visible') void check()
    }
    const channel =
      typeof BroadcastChannel === 'undefined'
        ? null
        : new BroadcastChannel(IDENTITY_CHANNEL)
    const onMessage = (event: MessageEvent) => {
      // A sign-out still pending is the sign-out guard's to follow.
      if (isIdentityMessage(event.data) && event.data.type === 'viewer-changed')
        void check()
    }
    channel?.addEventListener('message', onMessage)
    window.addEventListener('focus', onVisible)
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      checking?.abort()
      channel?.close()
      window.removeEventListener('focus', onVisible)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [client])

  return null
}
