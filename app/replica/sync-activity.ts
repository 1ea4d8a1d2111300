import type {
  RefusedMutation,
  RoundFailure,
  RoundResult,
  RoundTiming,
} from '@/sync/client/engine'

/** How many rounds and refusals the inspector keeps. */
const KEPT = 10

export interface RoundRecord {
  at: number
  durationMs: number
  kind: RoundResult['kind']
  pushed: number
  acknowledged: number
  refused: number
  /** Visible rows changed, or 'all' after a rebuild. */
  changed: number | 'all'
}

export interface RefusalRecord extends RefusedMutation {
  at: number
}

/**
 * What the leader's sync loop has been doing, shared with every tab: the
 * status area and the inspector read it. Times are ms since the epoch.
 */
export interface SyncActivity {
  /** The network side is paused from the inspector. */
  paused: boolean
  lastSyncedAt: number | null
  /** The last round failed; cleared by the next one that succeeds. */
  failure: { at: number; retryAt: number | null; message: string } | null
  rounds: RoundRecord[]
  refusals: RefusalRecord[]
}

export const IDLE_ACTIVITY: SyncActivity = {
  paused: false,
  lastSyncedAt: null,
  failure: null,
  rounds: [],
  refusals: [],
}

export function withRound(
  activity: SyncActivity,
  result: RoundResult,
  timing: RoundTiming,
): SyncActivity {
  const at = timing.startedAt + timing.durationMs
  const record: RoundRecord = {
    at,
    durationMs: timing.durationMs,
    kind: result.kind,
    pushed: result.pushed,
    acknowledged: result.acknowledged,
    refused: result.refused.length,
    changed: result.changed === 'all' ? 'all' : result.changed.length,
  }
  return {
    ...activity,
    lastSyncedAt: at,
    failure: null,
    rounds: [record, ...activity.rounds].slice(0, KEPT),
  }
}

export function withFailure(
  activity: SyncActivity,
  failure: RoundFailure,
  now: number,
): SyncActivity {
  const message =
    failure.error instanceof Error
      ? failure.error.message
      : String(failure.error)
  const retryAt = failure.retryInMs === null ? null : now + failure.retryInMs
  return { ...activity, failure: { at: now, retryAt, message } }
}

export function withRefusals(
  activity: SyncActivity,
  refusals: readonly RefusedMutation[],
  now: number,
): SyncActivity {
  const records = refusals.map((refusal) => ({ ...refusal, at: now }))
  return {
    ...activity,
    refusals: [...records.reverse(), ...activity.refusals].slice(0, KEPT),
  }
}
