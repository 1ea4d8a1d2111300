'use client'

import { type QueryClient, useQueryClient } from '@tanstack/react-query'
import {
  type ReactNode,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react'

import { createLogger } from '@/lib/logger'
import {
  createDirectWriter,
  type DirectWriter,
} from '@/sync/client/direct-writer'
import { createHttpTransport } from '@/sync/client/http-transport'

import { ApiError, type Viewer } from '../roster/api'
import { viewerKeys } from '../roster/query-keys'
import type { RosterBackend } from './backend'
import { invalidate, queriesForChange } from './invalidation'
import type { ReplicaEvents, ReplicaHandle } from './open-replica.client'
import {
  ReplicaContext,
  type ReplicaContextValue,
  type ReplicaStatus,
} from './replica-context'
import { serverBackend } from './server-backend'
import { countingWrites, holdUnload } from './writes-in-flight'
import { IDLE_ACTIVITY, type SyncActivity } from './sync-activity'

const log = createLogger('replica')

/**
 * Boots the browser replica for the viewer's space once the page is
 * interactive, and hands the data hooks the backend to use: the server
 * until the replica is ready (or for good where it cannot run), then the
 * replica. Marks `<html>` with `data-replica-state`, `data-sync-pending`
 * (changes stored and waiting for the server), `data-sync-storing` (writes
 * still on their way into the replica) and `data-replica-leader`, which
 * the browser tests wait on.
 */
export function ReplicaProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient()
  const spaceId = useViewerSpaceId(client)
  const [status, setStatus] = useState<ReplicaStatus>('loading')
  const [outbox, setOutbox] = useState(0)
  const [storing, setStoring] = useState(0)
  const [inFlight, setInFlight] = useState(0)
  const [leader, setLeader] = useState(false)
  const [activity, setActivity] = useState<SyncActivity>(IDLE_ACTIVITY)
  const replica = useRef<RosterBackend | null>(null)
  // The space the open replica holds: after a change of viewer, queries for
  // the new space may run before the old replica has closed.
  const replicaSpace = useRef<string | null>(null)
  const handleRef = useRef<ReplicaHandle | null>(null)

  const writer = useMemo(
    () =>
      spaceId === undefined
        ? null
        : createDirectWriter({
            transport: createHttpTransport({ keepalive: true }),
            spaceId,
          }),
    [spaceId],
  )
  const server = useMemo(
    () =>
      writer ? observed(serverBackend(writer), writer, setInFlight) : null,
    [writer],
  )

  useEffect(() => {
    if (spaceId === undefined || writer === null) return
    let cancelled = false
    let ready = false
    let handle: ReplicaHandle | undefined

    const refresh = async () => {
      if (!handle || cancelled) return
      setLeader(handle.isLeader())
      const pending = await handle.pendingCount().catch(() => undefined)
      if (pending !== undefined && !cancelled) setOutbox(pending)
    }
    const events: ReplicaEvents = {
      onChange: (changed) => {
        if (ready) invalidate(client, queriesForChange(spaceId, changed))
        void refresh()
      },
      onStatus: () => void refresh(),
      onFailure: (reason) => {
        log.warn(`the replica stopped (${reason}); working online`)
        replica.current = null
        handleRef.current = null
        ready = false
        setActivity(IDLE_ACTIVITY)
        setStatus('unavailable')
      },
      onSpaceMismatch: () =>
        void client.invalidateQueries({ queryKey: viewerKeys.current() }),
      onActivity: (next) => {
        if (!cancelled) setActivity(next)
      },
    }

    void (async () => {
      await afterInteractive()
      if (cancelled) return
      try {
        const { openReplica } = await import('./open-replica.client')
        if (cancelled) return
        handle = await openReplica(spaceId, events)
      } catch (error) {
        if (cancelled) return
        log.warn(
          `no replica in this browser, working online: ${describe(error)}`,
        )
        setStatus('unavailable')
        return
      }
      if (cancelled) return handle.close()

      await catchUp(handle, writer)
      if (cancelled) return
      ready = true
      replica.current = countingWrites(handle.backend, setStoring)
      replicaSpace.current = spaceId
      handleRef.current = handle
      setActivity(handle.activity())
      setStatus('ready')
      void refresh()
      invalidate(client, queriesForChange(spaceId, 'all'))
    })()

    return () => {
      cancelled = true
      handle?.close()
      replica.current = null
      handleRef.current = null
      setActivity(IDLE_ACTIVITY)
      setStatus('loading')
    }
  }, [client, spaceId, writer])

  const queued = status === 'ready' ? outbox : inFlight
  // A write still being stored in the replica is waiting too: the roster
  // may show it already, but it is in neither database yet.
  const pending = queued + storing
  useEffect(() => (storing > 0 ? holdUnload() : undefined), [storing])
  useEffect(() => {
    const root = document.documentElement.dataset
    root.replicaState = status
    root.syncPending = String(queued)
    root.syncStoring = String(storing)
    root.replicaLeader = String(status === 'ready' && leader)
  }, [status, queued, storing, leader])

  const backend = useCallback(() => {
    const current = client.getQueryData<Viewer>(viewerKeys.current())?.spaceId
    const local = replicaSpace.current === current ? replica.current : null
    // The server answers for the viewer in the cookie, whatever the space.
    return local ?? server ?? viewerUnknown
  }, [client, server])
  const [dismissedAt, setDismissedAt] = useState(0)
  const refusals = useMemo(
    () => activity.refusals.filter((refusal) => refusal.at > dismissedAt),
    [activity.refusals, dismissedAt],
  )
  const dismissRefusals = useCallback(() => setDismissedAt(Date.now()), [])
  const requestSync = useCallback(() => handleRef.current?.requestSync(), [])
  const adoptMergedSpace = useCallback(async (from: string, into: string) => {
    const handle = handleRef.current
    if (!handle || replicaSpace.current !== from) return true
    if ((await handle.pendingCount()) === 0) return true
    return handle.adoptMergedSpace(into)
  }, [])
  const setPaused = useCallback(
    (paused: boolean) => handleRef.current?.setPaused(paused),
    [],
  )
  const flush = useCallback(async () => {
    const handle = handleRef.current
    if (handle) return handle.flush()
    // Before the replica is ready, writes go straight to the server.
    if (!writer) return 0
    await writer.idle()
    return writer.pending
  }, [writer])
  const inspect = useCallback(
    () => handleRef.current?.inspect() ?? Promise.resolve(null),
    [],
  )
  const value = useMemo<ReplicaContextValue>(
    () => ({
      status,
      backend,
      pending,
      activity,
      refusals,
      dismissRefusals,
      adoptMergedSpace,
      requestSync,
      setPaused,
      flush,
      inspect,
    }),
    [
      status,
      backend,
      pending,
      activity,
      refusals,
      dismissRefusals,
      adoptMergedSpace,
      requestSync,
      setPaused,
      flush,
      inspect,
    ],
  )
  return <ReplicaContext value={value}>{children}</ReplicaContext>
}

/**
 * Waits until the replica holds everything written so far: writes sent to
 * the server before it was ready must be in its first pull (or a later
 * one), so none is lost and none is queued twice. A returning visitor with
 * no such writes goes ready at once: its replica wins over the server
 * render even before it syncs.
 */
async function catchUp(handle: ReplicaHandle, writer: DirectWriter) {
  for (;;) {
    await writer.idle()
    const settled = writer.settled
    // Listen before looking, so a round that ends in between is not missed.
    const nextRound = handle.nextRound()
    const hasCursor = await handle.hasCursor()
    if (settled === 0) {
      if (hasCursor) return
      // A fresh replica: the leader's loop pulls at once.
      await nextRound
      continue
    }
    const synced = await handle.freshRound()
    const quiet = writer.pending === 0 && writer.settled === settled
    if (quiet && (synced || hasCursor)) return
    if (!synced && !hasCursor) await handle.nextRound()
  }
}

/** Resolves once the page has loaded and the main thread is idle. */
function afterInteractive(): Promise<void> {
  return new Promise((resolve) => {
    const whenIdle = () => {
      if ('requestIdleCallback' in window) {
        requestIdleCallback(() => resolve(), { timeout: 2000 })
      } else {
        setTimeout(resolve, 200)
      }
    }
    if (document.readyState === 'complete') whenIdle()
    else window.addEventListener('load', whenIdle, { once: true })
  })
}

/** Counts the server writes in flight, for `data-sync-pending`. */
function observed(
  backend: RosterBackend,
  writer: DirectWriter,
  onPending: (pending: number) => void,
): RosterBackend {
  return {
    ...backend,
    async write(name, args) {
      const written = backend.write(name, args)
      onPending(writer.pending)
      try {
        return await written
      } finally {
        onPending(writer.pending)
      }
    },
  }
}

/** Before the viewer is known there is no space to write to. */
const viewerUnknown: RosterBackend = {
  kind: 'server',
  listAvatars: () => Promise.reject(notYet()),
  write: () => Promise.reject(notYet()),
}

function notYet(): ApiError {
  return new ApiError(
    'viewer/unknown',
    'Still finding out who you are. Try again in a moment.',
    { status: 409 },
  )
}

/**
 * The viewer's space as the query cache knows it, without creating the
 * viewer query (its first observer, the roster, seeds it from the server
 * render; an observer here would create it empty first).
 */
function useViewerSpaceId(client: QueryClient): string | undefined {
  const subscribe = useCallback(
    (onChange: () => void) => client.getQueryCache().subscribe(onChange),
    [client],
  )
  const read = () => client.getQueryData<Viewer>(viewerKeys.current())?.spaceId
  return useSyncExternalStore(subscribe, read, () => undefined)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
