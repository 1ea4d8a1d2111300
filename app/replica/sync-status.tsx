'use client'

import { useReplica } from './replica-context'
import type { RefusalRecord, SyncActivity } from './sync-activity'
import { useNow, useOnline } from './use-clock'
import {
  changesWaiting,
  refusalSentence,
  refusalTarget,
  relativeTime,
  secondsUntil,
} from './sync-wording'

/** Names the person has seen per avatar id, oldest first. */
export type SeenNames = ReadonlyMap<string, readonly string[]>

interface SyncStatusProps {
  /** Avatars on the roster now: their refusals show on their rows. */
  shownIds: ReadonlySet<string>
  names: SeenNames
}

export type SyncState =
  | 'server'
  | 'offline'
  | 'paused'
  | 'failed'
  | 'waiting'
  | 'synced'
  | 'connecting'

/**
 * Whether this browser's changes are on the server: online or not, how many
 * wait, when the last round succeeded, and a way to retry after a failure.
 * Only the summary line is live; the ticking times are not announced.
 */
export function SyncStatus({ shownIds, names }: SyncStatusProps) {
  const { status, pending, activity, refusals, requestSync, dismissRefusals } =
    useReplica()
  const online = useOnline()
  const now = useNow(activity.failure ? 1000 : 15_000)
  const state = syncState(status === 'ready', online, pending, activity)
  const orphans = refusals.filter((refusal) => {
    const target = refusalTarget(refusal.args)
    return target === undefined || !shownIds.has(target)
  })

  return (
    <div className="sync-status" data-testid="sync-status" data-sync={state}>
      <p role="status" aria-atomic="true" className="sync-summary">
        {summary(state, pending)}
      </p>
      {state === 'failed' && activity.failure ? (
        <p className="sync-retry">
          {activity.failure.retryAt === null
            ? 'Sync stopped until you retry.'
            : `Retrying in ${secondsUntil(activity.failure.retryAt, now)}s.`}{' '}
          <button type="button" onClick={requestSync}>
            Retry now
          </button>
        </p>
      ) : null}
      {status === 'ready' && activity.lastSyncedAt !== null ? (
        <p className="sync-last muted">
          Last synced{' '}
          <time dateTime={new Date(activity.lastSyncedAt).toISOString()}>
            {relativeTime(activity.lastSyncedAt, now)}
          </time>
        </p>
      ) : null}
      <div aria-live="polite" className="sync-refusals">
        {orphans.length > 0 ? (
          <>
            <ul>
              {orphans.map((refusal) => (
                <li key={`${refusal.at}-${refusal.id}`} className="field-error">
                  {describeRefusal(refusal, names)}
                </li>
              ))}
            </ul>
            <button type="button" onClick={dismissRefusals}>
              Dismiss
            </button>
          </>
        ) : null}
      </div>
    </div>
  )
}

function syncState(
  ready: boolean,
  online: boolean,
  pending: number,
  activity: SyncActivity,
): SyncState {
  if (!ready) return online ? 'server' : 'offline'
  if (activity.paused) return 'paused'
  if (!online) return 'offline'
  if (activity.failure) return 'failed'
  if (pending > 0) return 'waiting'
  return activity.lastSyncedAt === null ? 'connecting' : 'synced'
}

function summary(state: SyncState, pending: number): string {
  const waiting = pending > 0 ? `, ${changesWaiting(pending)}` : ''
  switch (state) {
    case 'server':
      return pending > 0
        ? `Saving directly to the server${waiting}`
        : 'Saving directly to the server'
    case 'offline':
      return `Offline${waiting}`
    case 'paused':
      return `Sync paused${waiting}`
    case 'failed':
      return `Couldn’t sync${waiting}`
    case 'waiting':
      return `Syncing${waiting}`
    case 'connecting':
      return 'Connecting…'
    case 'synced':
      return 'All changes synced'
  }
}

/** The sentence for a refusal, naming the avatar as the person knew it. */
export function describeRefusal(
  refusal: RefusalRecord,
  names: SeenNames,
): string {
  const target = refusalTarget(refusal.args)
  const seen = target === undefined ? [] : (names.get(target) ?? [])
  const attempted =
    typeof refusal.args === 'object' &&
    refusal.args !== null &&
    'name' in refusal.args
      ? refusal.args.name
      : undefined
  // A refused rename already showed its new name: name the one before it.
  const before = seen.filter((name) => name !== attempted).at(-1)
  return refusalSentence(refusal, before ?? seen.at(-1))
}
